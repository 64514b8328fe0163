package bench

// Two-process transfers for comparing pipes: a writer and a reader (or a
// ping and its pong) are this same program re-executed as separate
// processes doing blocking read(2)/write(2), so a FIFO and an exported
// device are measured by the same clients, and the process serving a
// FUSE mount never opens its own files (its netpoller would send FUSE
// poll requests to itself).

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ClientEnv marks a re-executed client process; its value is the role.
const ClientEnv = "FASYNC_BENCH_CLIENT"

// Throughput moves total bytes through path from a writer process to a
// reader process and returns MB/s as the reader measured it.
func Throughput(path string, total, bs, pipeSize int) (float64, error) {
	ns, err := runClients(
		[]string{"read", path, strconv.Itoa(total), strconv.Itoa(bs)},
		[]string{"write", path, strconv.Itoa(total), strconv.Itoa(bs), strconv.Itoa(pipeSize)})
	if err != nil {
		return 0, err
	}
	return float64(total) / ns * 1e3, nil
}

// PingPong returns the mean round trip in ns of one byte sent over a and
// answered over b by a second process.
func PingPong(a, b string, count int) (float64, error) {
	ns, err := runClients(
		[]string{"ping", a, b, strconv.Itoa(count)},
		[]string{"pong", a, b, strconv.Itoa(count)})
	if err != nil {
		return 0, err
	}
	return ns / float64(count), nil
}

// runClients starts the measuring client and its partner, connected by a
// pipe on which the partner says it has opened its files (a FIFO read
// without a writer is end of file, and a scullpipe drops its data when
// its last file closes, B8), and returns the nanoseconds the measuring
// client reports.
func runClients(measure, partner []string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	start := func(args []string, sync *os.File) (*exec.Cmd, *bufio.Scanner, error) {
		cmd := exec.Command(self, args[1:]...)
		cmd.Env = append(os.Environ(), ClientEnv+"="+args[0])
		cmd.ExtraFiles = []*os.File{sync} // fd 3
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		return cmd, bufio.NewScanner(out), cmd.Start()
	}
	mc, out, err := start(measure, syncR)
	syncR.Close()
	if err != nil {
		syncW.Close()
		return 0, err
	}
	pc, _, err := start(partner, syncW)
	syncW.Close()
	if err != nil {
		mc.Process.Kill()
		mc.Wait()
		return 0, err
	}
	// Whichever client fails first takes its partner down, so a broken
	// run cannot leave the other one sleeping on its device.
	done := make(chan error, 2)
	wait := func(c, other *exec.Cmd) {
		err := c.Wait()
		if err != nil {
			other.Process.Kill()
		}
		done <- err
	}
	var line string
	if out.Scan() {
		line = out.Text()
	}
	go wait(mc, pc)
	go wait(pc, mc)
	if err := errors.Join(<-done, <-done); err != nil {
		return 0, fmt.Errorf("clients %v: %w", measure, err)
	}
	ns, err := strconv.ParseFloat(strings.TrimPrefix(line, "ns "), 64)
	if err != nil || ns <= 0 {
		return 0, fmt.Errorf("client %v said %q", measure, line)
	}
	return ns, nil
}

// RunClient runs this process as a client when it was started as one
// (ClientEnv is set), with args its command line after the program
// name, and reports its exit status and true; otherwise it reports false.
// A program that measures with Throughput or PingPong calls it first
// thing in main (a test binary, in TestMain), since the clients are that
// program re-executed.
func RunClient(args []string) (status int, ok bool) {
	role := os.Getenv(ClientEnv)
	switch role {
	case "":
		return 0, false
	case refusedRole:
		if err := clientRefused(args); err != nil {
			fmt.Fprintln(os.Stderr, "fasync bench client:", err)
			return 1, true
		}
		return 0, true
	}
	// The terminal's Ctrl-C reaches the whole process group: the program
	// that measures decides (it lets the run in progress finish, SPEC
	// U9), and a client ends with its run.
	signal.Ignore(syscall.SIGINT)
	return runClient(role, args), true
}

// runClient is one client process. Its descriptor 3 is the sync pipe:
// the partner (write, pong) writes a byte once its files are open, the
// measuring client (read, ping) waits for it before starting.
func runClient(role string, args []string) int {
	sync := os.NewFile(3, "sync")
	var err error
	switch {
	case role == "read" && len(args) == 3:
		err = clientRead(sync, args[0], atoi(args[1]), atoi(args[2]))
	case role == "write" && len(args) == 4:
		err = clientWrite(sync, args[0], atoi(args[1]), atoi(args[2]), atoi(args[3]))
	case role == "ping" && len(args) == 3:
		err = clientPing(sync, args[0], args[1], atoi(args[2]))
	case role == "pong" && len(args) == 3:
		err = clientPong(sync, args[0], args[1], atoi(args[2]))
	default:
		err = fmt.Errorf("bad client %s %v", role, args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fasync bench client:", err)
		return 1
	}
	return 0
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// readSome and writeSome retry EINTR: FUSE cannot restart a call, so any
// signal (the Go runtime's own preemption signal included) ends a sleeping
// read on an exported file with EINTR, SA_RESTART or not. os.File retries
// the same way.
func readSome(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func writeSome(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func clientRead(sync *os.File, path string, total, bs int) error {
	// Opened before the writer can exist, without waiting for one.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, unix.O_RDONLY); err != nil {
		return err
	}
	if _, err := sync.Read(make([]byte, 1)); err != nil {
		return err
	}
	buf := make([]byte, bs)
	t0 := time.Now()
	for got := 0; got < total; {
		n, err := readSome(fd, buf)
		if err != nil || n == 0 {
			return fmt.Errorf("read after %d bytes: %v", got, err)
		}
		got += n
	}
	fmt.Printf("ns %d\n", time.Since(t0).Nanoseconds())
	return nil
}

func clientWrite(sync *os.File, path string, total, bs, pipeSize int) error {
	fd, err := unix.Open(path, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if pipeSize > 0 {
		// Before the reader starts: the whole run sees this buffer.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize); err != nil {
			return fmt.Errorf("F_SETPIPE_SZ %d: %w", pipeSize, err)
		}
	}
	sync.Write([]byte{'o'})
	buf := make([]byte, bs)
	for left := total; left > 0; {
		n, err := writeSome(fd, buf[:min(bs, left)])
		if err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func clientPing(sync *os.File, a, b string, count int) error {
	if _, err := sync.Read(make([]byte, 1)); err != nil {
		return err
	}
	wa, err := unix.Open(a, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	rb, err := unix.Open(b, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	c := []byte{'p'}
	t0 := time.Now()
	for range count {
		if _, err := writeSome(wa, c); err != nil {
			return err
		}
		if n, err := readSome(rb, c); n != 1 {
			return fmt.Errorf("ping read: %d %v", n, err)
		}
	}
	fmt.Printf("ns %d\n", time.Since(t0).Nanoseconds())
	return nil
}

func clientPong(sync *os.File, a, b string, count int) error {
	sync.Write([]byte{'o'}) // the FIFO opens below pair up with ping's
	ra, err := unix.Open(a, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	wb, err := unix.Open(b, unix.O_WRONLY, 0)
	if err != nil {
		return err
	}
	c := []byte{0}
	for range count {
		if n, err := readSome(ra, c); n != 1 {
			return fmt.Errorf("pong read: %d %v", n, err)
		}
		if _, err := writeSome(wb, c); err != nil {
			return err
		}
	}
	return nil
}
