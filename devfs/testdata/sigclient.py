"""sigclient.py: a Python client of exported devices that takes the
device's signal each way a Python program can (SPEC F1, F3).

    python3 sigclient.py handler|sigwait|signalfd|tid SIG DEV...

Each DEV is opened read-only and given F_SETSIG SIG (0: plain SIGIO), an
owner and O_ASYNC. Then "ready" is printed, and each signal taken prints
one line:

    handler   signal.signal handler (F_SETOWN getpid()):  sig=N
    sigwait   SIG blocked, signal.sigtimedwait (F_SETOWN getpid()), the
              fields of Python's struct_siginfo: si_status overlays si_fd
              (Python has no si_fd field), si_pid and si_uid overlay
              si_band:  sig=N code=C fd=F band=0xB pid=P uid=U
    signalfd  SIG blocked, a signalfd (through ctypes) watched by
              select.epoll, the signalfd_siginfo fields:
              sig=N code=C fd=F band=0xB
    tid       SIG blocked in every thread, a second thread named by
              F_SETOWN_EX F_OWNER_TID waits in signal.sigwaitinfo; "owner
              T" is printed before "ready":  sig=N code=C band=0xB tid=T

End of input exits."""
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import threading

# Linux's numbers (x86-64, arm64); the fcntl module lacks these.
F_SETOWN, F_SETSIG, F_SETOWN_EX, F_OWNER_TID = 8, 10, 15, 0


def arm(devs, sig, owner=None):
    for dev in devs:
        fd = os.open(dev, os.O_RDONLY)
        fcntl.fcntl(fd, F_SETSIG, sig)
        if owner is None:
            fcntl.fcntl(fd, F_SETOWN, os.getpid())
        else:
            fcntl.fcntl(fd, F_SETOWN_EX, struct.pack("ii", F_OWNER_TID, owner))
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)


def say(line):
    print(line, flush=True)


def until_eof(extra=None):
    """Waits for the end of standard input, serving extra's descriptor."""
    ep = select.epoll()
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    if extra:
        ep.register(extra[0], select.EPOLLIN)
    while True:
        for fd, _ in ep.poll():
            if fd == sys.stdin.fileno():
                if not os.read(fd, 64):
                    return
            else:
                extra[1]()


def main():
    mode, sig, devs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    signo = sig or signal.SIGIO
    if mode == "handler":
        signal.signal(signo, lambda n, _: say("sig=%d" % n))
        arm(devs, sig)
        say("ready")
        until_eof()
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, [signo])  # inherited by threads
    if mode == "sigwait":
        arm(devs, sig)
        say("ready")
        while True:
            si = signal.sigtimedwait([signo], 0.05)
            if si is not None:
                say("sig=%d code=%d fd=%d band=%#x pid=%d uid=%d" % (
                    si.si_signo, si.si_code, si.si_status, si.si_band, si.si_pid, si.si_uid))
                continue
            r, _, _ = select.select([sys.stdin], [], [], 0)
            if r and not os.read(sys.stdin.fileno(), 64):
                return
    if mode == "signalfd":
        arm(devs, sig)  # first, so the first device is descriptor 3
        libc = ctypes.CDLL(None, use_errno=True)
        mask = struct.pack("Q", 1 << (signo - 1))
        sfd = libc.signalfd(-1, ctypes.c_char_p(mask), os.O_CLOEXEC)
        if sfd < 0:
            sys.exit("signalfd: %s" % os.strerror(ctypes.get_errno()))
        say("ready")

        def take():
            ssi = os.read(sfd, 128)
            signo_, _, code, _, _, fd, _, band = struct.unpack_from("IiiIIiII", ssi)
            say("sig=%d code=%d fd=%d band=%#x" % (signo_, code, fd, band))
        until_eof((sfd, take))
        return
    if mode == "tid":
        ready = threading.Event()
        tid = []

        def waiter():
            tid.append(threading.get_native_id())
            ready.set()
            while True:
                si = signal.sigwaitinfo([signo])
                say("sig=%d code=%d band=%#x tid=%d" % (
                    si.si_signo, si.si_code, si.si_band, threading.get_native_id()))
        threading.Thread(target=waiter, daemon=True).start()
        ready.wait()
        arm(devs, sig, owner=tid[0])
        say("owner %d" % tid[0])
        say("ready")
        until_eof()
        return
    sys.exit("unknown mode " + mode)


main()
