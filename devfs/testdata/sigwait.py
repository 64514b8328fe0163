"""sigwait.py: a Python client that takes an exported device's F_SETSIG
signal with signal.sigtimedwait (SPEC F1, F3).

    python3 sigwait.py SIG DEV...

SIG is blocked, each DEV opened read-only and given F_SETSIG SIG,
F_SETOWN os.getpid() and O_ASYNC; then "ready" is printed and every signal
taken prints

    sig=N code=C fd=F band=0xB pid=P uid=U

with Python's struct_siginfo fields: si_signo, si_code, si_status (which
overlays si_fd: Python has no si_fd field), si_band, si_pid and si_uid
(which overlay si_band in the SIL_POLL layout). End of input exits."""
import fcntl
import os
import select
import signal
import sys

F_SETOWN, F_SETSIG = 8, 10  # Linux's numbers; the fcntl module lacks F_SETSIG


def main():
    sig = int(sys.argv[1])
    signal.pthread_sigmask(signal.SIG_BLOCK, [sig])
    for dev in sys.argv[2:]:
        fd = os.open(dev, os.O_RDONLY)
        fcntl.fcntl(fd, F_SETSIG, sig)
        fcntl.fcntl(fd, F_SETOWN, os.getpid())
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    print("ready", flush=True)
    while True:
        si = signal.sigtimedwait([sig], 0.05)
        if si is not None:
            print("sig=%d code=%d fd=%d band=%#x pid=%d uid=%d" % (
                si.si_signo, si.si_code, si.si_status, si.si_band, si.si_pid, si.si_uid), flush=True)
            continue
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r and not sys.stdin.readline():
            return


main()
