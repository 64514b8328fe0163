"""pollclient: a Python client of an exported model device (SPEC R3, M2, M3).

    pollclient.py wait FILE poll|select|epoll in|out TIMEOUT_MS
        like devclient wait: prints "waiting", then "timeout" or
        "ready IN"/"ready OUT", and after IN "data DATA".
    pollclient.py edges FILE N
        edge-triggered epoll, registered once: N times waits for an edge,
        prints "edge K", drains the device until EAGAIN and prints
        "data DATA" (the wake-ups must keep coming without re-registering).
    pollclient.py nonblock FILE
        opens blocking, sets O_NONBLOCK with fcntl, reads: "EAGAIN".
    pollclient.py shared FILE DATA
        opens O_RDWR once, forks; the child reads on the shared descriptor
        (blocking), the parent then writes DATA on it; prints the child's
        "data DATA" (FOPEN_STREAM: the blocked reader must not hold up the
        writer).
"""
import fcntl
import os
import select
import sys
import time


def say(*words):
    print(*words, flush=True)


def wait(path, how, direction, timeout_ms):
    fd = os.open(path, os.O_RDWR)
    want_in = direction == "in"
    say("waiting")
    if how == "poll":
        p = select.poll()
        p.register(fd, select.POLLIN if want_in else select.POLLOUT)
        evs = p.poll(timeout_ms)
        mask = evs[0][1] if evs else 0
        ready_in, ready_out = mask & select.POLLIN, mask & select.POLLOUT
    elif how == "select":
        r, w, _ = select.select([fd] if want_in else [], [] if want_in else [fd], [],
                                None if timeout_ms < 0 else timeout_ms / 1000)
        ready_in, ready_out = bool(r), bool(w)
    else:
        ep = select.epoll()
        ep.register(fd, select.EPOLLIN if want_in else select.EPOLLOUT)
        evs = ep.poll(-1 if timeout_ms < 0 else timeout_ms / 1000)
        mask = evs[0][1] if evs else 0
        ready_in, ready_out = mask & select.EPOLLIN, mask & select.EPOLLOUT
    if not (ready_in or ready_out):
        say("timeout")
        return
    say("ready" + (" IN" if ready_in else "") + (" OUT" if ready_out else ""))
    if want_in:
        say("data", os.read(fd, 4096).decode())


def edges(path, n):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLET)
    for k in range(n):
        say("waiting")
        ep.poll(-1)
        say("edge", k)
        got = b""
        while True:
            try:
                got += os.read(fd, 4096)
            except BlockingIOError:
                break
        say("data", got.decode())


def nonblock(path):
    fd = os.open(path, os.O_RDONLY)
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        got = os.read(fd, 4096)
        say("data", got.decode())
    except BlockingIOError:
        say("EAGAIN")


def shared(path, data):
    fd = os.open(path, os.O_RDWR)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, b"reading\n")
        got = os.read(fd, 4096)
        os.write(w, b"data " + got + b"\n")
        os._exit(0)
    os.close(w)
    ready = os.read(r, 100)
    assert ready == b"reading\n", ready
    wait_in_read(pid)
    os.write(fd, data.encode())
    say(os.read(r, 4096).decode().strip())
    os.waitpid(pid, 0)


def wait_in_read(pid):
    """Wait (up to 10 s) until pid sleeps inside read(2), syscall 0."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/syscall" % pid) as f:
            if f.read().split(" ")[0] == "0":
                return
        time.sleep(0.001)
    sys.exit("child never blocked in read")


def main(argv):
    cmd = argv[1]
    if cmd == "wait":
        wait(argv[2], argv[3], argv[4], int(argv[5]))
    elif cmd == "edges":
        edges(argv[2], int(argv[3]))
    elif cmd == "nonblock":
        nonblock(argv[2])
    elif cmd == "shared":
        shared(argv[2], argv[3])
    else:
        sys.exit("usage: pollclient.py wait|edges|nonblock|shared FILE ...")


if __name__ == "__main__":
    main(sys.argv)
