package kernel_test

import (
	"context"
	"fmt"

	"github.com/fasync-go/fasync/kernel"
)

// ExampleTask_NewThread aims a file's notifications at one thread with
// F_SETOWN_EX(F_OWNER_TID); the handler runs on that thread.
func ExampleTask_NewThread() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	server := k.NewTask("server", kernel.Cred{})
	worker, _ := server.NewThread("sigio-thread")
	writer := k.NewTask("writer", kernel.Cred{})
	ctx := context.Background()

	server.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(t *kernel.Task, _ *kernel.SigInfo) {
		fmt.Println("SIGIO on thread", t.Tid(), "of process", t.Pid())
	}})
	fd, _ := server.Open(ctx, "mailbox", kernel.O_RDONLY|kernel.O_NONBLOCK)
	server.FcntlOwnerEx(fd, kernel.F_SETOWN_EX, &kernel.FOwnerEx{Type: kernel.F_OWNER_TID, Pid: worker.Tid()})
	server.Fcntl(fd, kernel.F_SETFL, kernel.O_NONBLOCK|kernel.FASYNC)
	wfd, _ := writer.Open(ctx, "mailbox", kernel.O_WRONLY)
	writer.Write(ctx, wfd, []byte("x"))
	worker.Sigpending() // the worker reaches a safe point
	// Output: SIGIO on thread 2 of process 1
}

// ExampleTask_Tgkill sends a signal to one thread.
func ExampleTask_Tgkill() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	th, _ := task.NewThread("t2")
	block := kernel.SigsetOf(kernel.SIGUSR2)
	th.Sigprocmask(kernel.SIG_BLOCK, &block)
	task.Tgkill(task.Pid(), th.Tid(), kernel.SIGUSR2)
	fmt.Println("thread:", th.Sigpending().Has(kernel.SIGUSR2), "main:", task.Sigpending().Has(kernel.SIGUSR2))
	// Output: thread: true main: false
}

// ExampleTask_Tkill is tgkill without the process id.
func ExampleTask_Tkill() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	fmt.Println(task.Tkill(task.Tid(), 0), task.Tkill(999, 0))
	// Output: <nil> no such process
}

// ExampleTask_ExitThread ends one thread; the process lives on.
func ExampleTask_ExitThread() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	th, _ := task.NewThread("worker")
	task.ExitThread()
	fmt.Println(task.Alive(), th.Alive(), th.Threads())
	// Output: false true [2]
}

// ExampleTask_Fork is a shell: it forks a child that inherits the
// descriptors, waits for it and reads its exit status.
func ExampleTask_Fork() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	sh := k.NewTask("sh", kernel.Cred{})
	child, _ := sh.Fork("job")
	fmt.Println("child", child.Pid(), "parent", child.Getppid())
	child.ExitGroup(7)
	pid, status, _ := sh.Wait4(context.Background(), -1, 0)
	fmt.Println("reaped", pid, "exit status", status.ExitStatus())
	// Output:
	// child 2 parent 1
	// reaped 2 exit status 7
}

// ExampleTask_Exec closes the FD_CLOEXEC descriptors and resets handled
// signals to their default.
func ExampleTask_Exec() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	k.Register("mailbox", &mailbox{})
	task := k.NewTask("sh", kernel.Cred{})
	ctx := context.Background()
	keep, _ := task.Open(ctx, "mailbox", kernel.O_RDONLY)
	private, _ := task.Open(ctx, "mailbox", kernel.O_RDONLY)
	task.Fcntl(private, kernel.F_SETFD, kernel.FD_CLOEXEC)
	task.Exec("cat")
	_, errKeep := task.Fcntl(keep, kernel.F_GETFD, 0)
	_, errPrivate := task.Fcntl(private, kernel.F_GETFD, 0)
	fmt.Println(task.Name(), errKeep, errPrivate)
	// Output: cat <nil> bad file descriptor
}

// ExampleTask_Wait4 shows job control: a stopped child is reported with
// WUNTRACED, a continued one with WCONTINUED.
func ExampleTask_Wait4() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	sh := k.NewTask("sh", kernel.Cred{})
	job, _ := sh.Fork("job")
	ctx := context.Background()
	sh.Kill(job.Pid(), kernel.SIGTSTP)
	_, st, _ := sh.Wait4(ctx, job.Pid(), kernel.WUNTRACED)
	fmt.Println("stopped:", st.Stopped(), st.StopSignal() == kernel.SIGTSTP)
	sh.Kill(job.Pid(), kernel.SIGCONT)
	_, st, _ = sh.Wait4(ctx, job.Pid(), kernel.WCONTINUED)
	fmt.Println("continued:", st.Continued())
	sh.Kill(job.Pid(), kernel.SIGTERM)
	_, st, _ = sh.Wait4(ctx, job.Pid(), 0)
	fmt.Println("killed by SIGTERM:", st.Signal() == kernel.SIGTERM)
	// Output:
	// stopped: true true
	// continued: true
	// killed by SIGTERM: true
}

// ExampleTask_Getppid shows the parent of a forked process.
func ExampleTask_Getppid() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	sh := k.NewTask("sh", kernel.Cred{})
	c, _ := sh.Fork("c")
	fmt.Println(sh.Getppid(), c.Getppid())
	// Output: 0 1
}

// ExampleTask_Tid shows thread ids: the main thread's is the pid.
func ExampleTask_Tid() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	task := k.NewTask("app", kernel.Cred{})
	th, _ := task.NewThread("t")
	fmt.Println(task.Pid(), task.Tid(), th.Pid(), th.Tid())
	// Output: 1 1 1 2
}

// ExampleTask_ExitGroup ends every thread of the process.
func ExampleTask_ExitGroup() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	sh := k.NewTask("sh", kernel.Cred{})
	c, _ := sh.Fork("c")
	th, _ := c.NewThread("t")
	th.ExitGroup(2)
	_, st, _ := sh.Wait4(context.Background(), c.Pid(), 0)
	fmt.Println(c.Alive(), st.ExitStatus())
	// Output: false 2
}
