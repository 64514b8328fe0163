package scull_test

import (
	"context"
	"fmt"
	"os"

	"github.com/fasync-go/fasync/kernel"
	"github.com/fasync-go/fasync/scull"
)

// Register puts scullpipe0..3 in a kernel's device table; tasks then use
// them as C programs use /dev/scullpipe0.
func ExampleRegister() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, err := scull.Register(k, scull.Config{}) // LDD3's defaults: 4 devices, 4000 bytes
	if err != nil {
		panic(err)
	}
	fmt.Println(pipes.Names())

	ctx := context.Background()
	writer, reader := k.NewTask("writer", kernel.Cred{}), k.NewTask("reader", kernel.Cred{})
	wfd, _ := writer.Open(ctx, "scullpipe0", kernel.O_WRONLY)
	rfd, _ := reader.Open(ctx, "scullpipe0", kernel.O_RDONLY)
	writer.Write(ctx, wfd, []byte("hello, scullpipe"))
	buf := make([]byte, 100)
	n, _ := reader.Read(ctx, rfd, buf)
	fmt.Printf("%q\n", buf[:n])
	// Output:
	// [scullpipe0 scullpipe1 scullpipe2 scullpipe3]
	// "hello, scullpipe"
}

// The asynctest pattern: a SIGIO handler, F_SETOWN to itself, FASYNC on,
// and reads only after pause() says a handler ran. F_SETSIG makes the
// signal carry the descriptor and the band.
func Example_fasync() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	scull.Register(k, scull.Config{Devices: 1})
	ctx := context.Background()

	reader := k.NewTask("asynctest", kernel.Cred{})
	reader.Sigaction(kernel.SIGIO, kernel.Sigaction{Handler: func(t *kernel.Task, info *kernel.SigInfo) {
		fmt.Printf("SIGIO: code %d (POLL_IN) fd %d band %#x\n", info.Code, info.Fd, info.Band)
	}})
	fd, _ := reader.Open(ctx, "scullpipe0", kernel.O_RDONLY|kernel.O_NONBLOCK)
	reader.Fcntl(fd, kernel.F_SETOWN, reader.Pid())
	reader.Fcntl(fd, kernel.F_SETSIG, kernel.SIGIO) // SIGIO, but with fd and band
	fl, _ := reader.Fcntl(fd, kernel.F_GETFL, 0)
	reader.Fcntl(fd, kernel.F_SETFL, fl|kernel.FASYNC)

	writer := k.NewTask("writer", kernel.Cred{})
	wfd, _ := writer.Open(ctx, "scullpipe0", kernel.O_WRONLY)
	writer.Write(ctx, wfd, []byte("ping"))

	if err := reader.Pause(ctx); err != nil { // EINTR: the handler ran
		buf := make([]byte, 16)
		n, _ := reader.Read(ctx, fd, buf)
		fmt.Printf("read %q\n", buf[:n])
	}
	// Output:
	// SIGIO: code 1 (POLL_IN) fd 0 band 0x41
	// read "ping"
}

// The buffer size can change while the device holds no data (B1).
func ExamplePipe_SetSize() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, _ := scull.Register(k, scull.Config{Devices: 1})
	p := pipes.Pipe(0)
	fmt.Println(p.Size(), p.SetSize(16), p.Size())

	ctx := context.Background()
	task := k.NewTask("t", kernel.Cred{})
	fd, _ := task.Open(ctx, "scullpipe0", kernel.O_WRONLY|kernel.O_NONBLOCK)
	n, _ := task.Write(ctx, fd, make([]byte, 100))
	fmt.Println(n, p.SetSize(64))
	// Output:
	// 4000 <nil> 16
	// 15 device or resource busy
}

// The status view, as /proc/scullpipe would show it (B10).
func ExamplePipes_WriteStatus() {
	k := kernel.New(kernel.Config{})
	defer k.Close()
	pipes, _ := scull.Register(k, scull.Config{Devices: 2, Size: 100})
	ctx := context.Background()
	task := k.NewTask("t", kernel.Cred{})
	fd, _ := task.Open(ctx, "scullpipe0", kernel.O_RDWR)
	task.Write(ctx, fd, []byte("0123456789"))
	task.Read(ctx, fd, make([]byte, 4))

	pipes.WriteStatus(os.Stdout)
	fmt.Println(pipes.Pipe(0).Status())
	// Output:
	// device        size  held    rp    wp  readers  writers  async(r/w)  blocked(r/w)  queued
	// scullpipe0     100     6     4    10        1        1         0/0           0/0       0
	// scullpipe1     100     -     -     -        0        0         0/0           0/0       0
	// scullpipe0: size=100 allocated=true held=6 rp=4 wp=10 readers=1 writers=1 async-readers=0 async-writers=0 blocked-readers=0 blocked-writers=0 queued-reads=0
}
