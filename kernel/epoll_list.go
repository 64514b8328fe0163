package kernel

// An epList is a doubly linked list of epitems through their prev and
// next fields: an epoll's ready list or a scan's batch (Linux's
// list_head rdllink). An item is on at most one list (epitem.linked).
type epList struct {
	head, tail *epitem
}

// pushBack appends epi (list_add_tail).
func (l *epList) pushBack(epi *epitem) {
	epi.prev, epi.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = epi
	} else {
		l.head = epi
	}
	l.tail = epi
	epi.linked = true
}

// pushFront prepends epi (list_add).
func (l *epList) pushFront(epi *epitem) {
	epi.prev, epi.next = nil, l.head
	if l.head != nil {
		l.head.prev = epi
	} else {
		l.tail = epi
	}
	l.head = epi
	epi.linked = true
}

// remove unlinks epi, which is on l (list_del_init).
func (l *epList) remove(epi *epitem) {
	if epi.prev != nil {
		epi.prev.next = epi.next
	} else {
		l.head = epi.next
	}
	if epi.next != nil {
		epi.next.prev = epi.prev
	} else {
		l.tail = epi.prev
	}
	epi.prev, epi.next = nil, nil
	epi.linked = false
}

// spliceFront moves every item of o to the front of l, in order, and
// empties o (list_splice).
func (l *epList) spliceFront(o *epList) {
	if o.head == nil {
		return
	}
	if l.head == nil {
		l.tail = o.tail
	} else {
		o.tail.next = l.head
		l.head.prev = o.tail
	}
	l.head = o.head
	*o = epList{}
}
