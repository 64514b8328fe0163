package kernel

// SetSigioHook makes fn hear every fasync notification that reaches f: each
// time a driver's FasyncList.Kill finds f on its list, fn(band) runs on the
// killer's goroutine before f's owner (if any) is signalled. fn nil removes
// the hook. f is on a list only while FASYNC is set (SPEC A4), so a caller
// that wants the notifications also sets FASYNC (File.SetFlags).
//
// The hook is for code that carries notifications out of the model, such
// as devfs, which passes them to real processes (SPEC F). fn must not
// block and must not call back into the driver: it runs where the driver
// calls Kill, possibly with the driver's lock held.
func (f *File) SetSigioHook(fn func(band int)) {
	if fn == nil {
		f.hook.Store(nil)
		return
	}
	f.hook.Store(&fn)
}

// notifyHook calls the hook SetSigioHook installed, if any.
func (f *File) notifyHook(band int) {
	if fn := f.hook.Load(); fn != nil {
		(*fn)(band)
	}
}
