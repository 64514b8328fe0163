package kernel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fasync-go/fasync/kernel"
)

// ExampleSigsetOf builds a signal set, as sigemptyset and sigaddset do.
func ExampleSigsetOf() {
	set := kernel.SigsetOf(kernel.SIGIO, kernel.SIGRTMIN)
	set.Add(kernel.SIGUSR1)
	set.Del(kernel.SIGRTMIN)
	fmt.Println(set.Has(kernel.SIGIO), set.Has(kernel.SIGUSR1), set.Has(kernel.SIGRTMIN))
	// Output: true true false
}

// ExampleTask_Sigprocmask blocks SIGUSR1: the signal waits, pending,
// until the thread unblocks it, and is then delivered once.
func ExampleTask_Sigprocmask() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	task.Sigaction(kernel.SIGUSR1, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {
		fmt.Println("SIGUSR1 handled")
	}})
	block := kernel.SigsetOf(kernel.SIGUSR1)
	task.Sigprocmask(kernel.SIG_BLOCK, &block)
	k.Kill(task.Pid(), kernel.SIGUSR1)
	k.Kill(task.Pid(), kernel.SIGUSR1) // a standard signal coalesces
	fmt.Println("pending:", task.Sigpending().Has(kernel.SIGUSR1))
	task.Sigprocmask(kernel.SIG_UNBLOCK, &block)
	// Output:
	// pending: true
	// SIGUSR1 handled
}

// ExampleTask_Sigpending shows that only blocked pending signals are
// reported: an unblocked one has been delivered by then.
func ExampleTask_Sigpending() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	block := kernel.SigsetOf(kernel.SIGHUP)
	task.Sigprocmask(kernel.SIG_BLOCK, &block)
	k.Kill(task.Pid(), kernel.SIGHUP)
	fmt.Println(task.Sigpending() == kernel.SigsetOf(kernel.SIGHUP))
	// Output: true
}

// ExampleTask_Sigsuspend is the race-free asynctest: SIGIO stays blocked
// while the program looks for input, so a notification arriving between
// "nothing to read" and the sleep is held pending, and Sigsuspend, which
// unblocks it atomically, returns at once.
func ExampleTask_Sigsuspend() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	reader := k.NewTask("asynctest", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	ctx := context.Background()

	reader.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(*kernel.Task, *kernel.SigInfo) {}})
	sigio := kernel.SigsetOf(kernel.SIGIO)
	old, _ := reader.Sigprocmask(kernel.SIG_BLOCK, &sigio)
	fd, _ := reader.Open(ctx, "mailbox", kernel.O_RDONLY|kernel.O_NONBLOCK)
	reader.Fcntl(fd, kernel.F_SETOWN, reader.Pid())
	reader.Fcntl(fd, kernel.F_SETFL, kernel.O_NONBLOCK|kernel.FASYNC)

	wfd, _ := writer.Open(ctx, "mailbox", kernel.O_WRONLY)
	buf := make([]byte, 64)
	for range 2 {
		n, err := reader.Read(ctx, fd, buf)
		if err == kernel.EAGAIN {
			// Nothing yet. The writer writes now, before the sleep: the
			// SIGIO is pending, not lost.
			writer.Write(ctx, wfd, []byte("hello"))
			fmt.Println("sigsuspend:", reader.Sigsuspend(ctx, old))
			continue
		}
		fmt.Printf("read %q\n", buf[:n])
	}
	// Output:
	// sigsuspend: interrupted system call
	// read "hello"
}

// ExampleTask_Sigtimedwait takes queued real-time signals without a
// handler: lowest number first, one number's instances in order, and
// EAGAIN when the timeout passes.
func ExampleTask_Sigtimedwait() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("consumer", kernel.Cred{})
	set := kernel.SigsetOf(kernel.SIGRTMIN, kernel.SIGRTMIN+1)
	task.Sigprocmask(kernel.SIG_BLOCK, &set)
	task.Sigqueue(task.Pid(), kernel.SIGRTMIN+1, 1)
	task.Sigqueue(task.Pid(), kernel.SIGRTMIN, 2)
	task.Sigqueue(task.Pid(), kernel.SIGRTMIN+1, 3)
	for {
		info, err := task.Sigtimedwait(context.Background(), set, time.Millisecond)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Printf("SIGRTMIN+%d value %v\n", info.Signo-kernel.SIGRTMIN, info.Value)
	}
	// Output:
	// SIGRTMIN+0 value 2
	// SIGRTMIN+1 value 1
	// SIGRTMIN+1 value 3
	// resource temporarily unavailable
}

// ExampleTask_Sigwaitinfo is a consumer of F_SETSIG notifications with
// no handler: the siginfo names the descriptor and the band.
func ExampleTask_Sigwaitinfo() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	task := k.NewTask("consumer", kernel.Cred{})
	writer := k.NewTask("writer", kernel.Cred{})
	ctx := context.Background()
	set := kernel.SigsetOf(kernel.SIGRTMIN)
	task.Sigprocmask(kernel.SIG_BLOCK, &set)
	fd, _ := task.Open(ctx, "mailbox", kernel.O_RDONLY|kernel.O_NONBLOCK)
	task.Fcntl(fd, kernel.F_SETOWN, task.Pid())
	task.Fcntl(fd, kernel.F_SETSIG, kernel.SIGRTMIN)
	task.Fcntl(fd, kernel.F_SETFL, kernel.O_NONBLOCK|kernel.FASYNC)
	wfd, _ := writer.Open(ctx, "mailbox", kernel.O_WRONLY)
	writer.Write(ctx, wfd, []byte("x"))
	info, _ := task.Sigwaitinfo(ctx, set)
	fmt.Printf("fd %d ready, code POLL_IN %v, band %#x\n", info.Fd, info.Code == kernel.POLL_IN, info.Band)
	// Output: fd 0 ready, code POLL_IN true, band 0x41
}

// ExampleTask_Signalfd reads signals from a descriptor: each read record
// is a signalfd_siginfo, here from a kill.
func ExampleTask_Signalfd() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("consumer", kernel.Cred{})
	sender := k.NewTask("sender", kernel.Cred{})
	set := kernel.SigsetOf(kernel.SIGUSR1)
	task.Sigprocmask(kernel.SIG_BLOCK, &set)
	sfd, _ := task.Signalfd(-1, set, kernel.SFD_NONBLOCK|kernel.SFD_CLOEXEC)
	sender.Kill(task.Pid(), kernel.SIGUSR1)
	buf := make([]byte, kernel.SignalfdSiginfoSize)
	n, _ := task.Read(context.Background(), sfd, buf)
	rec, _ := kernel.ParseSignalfdSiginfo(buf[:n])
	fmt.Printf("ssi_signo %d ssi_pid %d\n", rec.Signo, rec.Pid)
	_, err := task.Read(context.Background(), sfd, buf)
	fmt.Println(err)
	// Output:
	// ssi_signo 10 ssi_pid 2
	// resource temporarily unavailable
}

// ExampleParseSignalfdSiginfo decodes a record as a signalfd's read
// returns it.
func ExampleParseSignalfdSiginfo() {
	var buf [kernel.SignalfdSiginfoSize]byte
	buf[0] = kernel.SIGIO // ssi_signo, little-endian
	buf[8] = kernel.POLL_IN
	buf[20] = 3    // ssi_fd
	buf[28] = 0x41 // ssi_band
	rec, err := kernel.ParseSignalfdSiginfo(buf[:])
	fmt.Println(rec.Signo, rec.Code, rec.Fd, rec.Band, err)
	// Output: 29 1 3 65 <nil>
}
