package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	"github.com/fasync-go/fasync/aio"
	"github.com/fasync-go/fasync/internal/seccomp"
)

// Native AIO where io_uring is refused.
//
// The linuxaio and file-linuxaio drivers measure the aio Engine where a
// container's seccomp profile refuses io_uring: each run is this program
// re-executed as a client (role refusedRole) that installs a seccomp
// filter refusing io_uring_setup, io_uring_enter and io_uring_register
// with EPERM on all its threads, runs the job with automatic backend
// selection, which must fall to native AIO by itself, and prints the
// Result as JSON. The row's name carries the Engine's reason (e.g.
// "linuxaio, depth 32; uring refused: EPERM"). Where no client can be
// started (Reexec false: a test binary, whose main is not fasync's), the
// run forces the backend in-process with aio.WithBackend("linuxaio") and
// the row says "forced".

// Reexec says this program's main calls RunClient, so Run may re-execute
// it as a client; cmd/fasync sets it.
var Reexec bool

// refusedRole is the client role (ClientEnv) of a run with io_uring refused.
const refusedRole = "aio-no-uring"

// inRefusedClient reports whether this process is such a client.
func inRefusedClient() bool { return os.Getenv(ClientEnv) == refusedRole }

// newDriverEngine makes the run's Engine for driver d: its backend by
// name, except in a refused client, where selection is automatic and
// must have chosen native AIO.
func newDriverEngine(job *Job, d *driver) (*aio.Engine, error) {
	if d.backend != "linuxaio" || !inRefusedClient() {
		return newJobEngine(job, d.backend)
	}
	e, err := newJobEngine(job, "")
	if err != nil {
		return nil, err
	}
	if e.Backend() != "linuxaio" {
		e.Close()
		return nil, fmt.Errorf("io_uring refused, the Engine chose %s (%s), not linuxaio", e.Backend(), e.BackendReason())
	}
	return e, nil
}

// runRefused runs job in a client process with io_uring refused and
// returns the client's Result.
func runRefused(job *Job) (Result, error) {
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	spec, err := json.Marshal(job)
	if err != nil {
		return Result{}, err
	}
	cmd := exec.Command(self, string(spec))
	cmd.Env = append(os.Environ(), ClientEnv+"="+refusedRole)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if job.Progress != nil {
		cmd.Stderr = job.Progress
	}
	if err := runStoppable(cmd, job.Stop); err != nil {
		if stopped(job.Stop) {
			return Result{}, ErrInterrupted
		}
		return Result{}, fmt.Errorf("client with io_uring refused: %w", err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return Result{}, fmt.Errorf("client with io_uring refused: %w", err)
	}
	if res.Err != "" {
		return Result{}, fmt.Errorf("client with io_uring refused: %s", res.Err)
	}
	return res, nil
}

// clientRefused is the client: filter, run, print.
func clientRefused(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("bad client %s %v", refusedRole, args)
	}
	if err := seccomp.DenyIOUring(); err != nil {
		return err
	}
	var job Job
	if err := json.Unmarshal([]byte(args[0]), &job); err != nil {
		return err
	}
	job.Progress = os.Stderr
	res, err := Run(&job)
	if err != nil {
		res = Result{Err: err.Error()}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// runStoppable runs cmd to its end, killing it when stop closes first.
func runStoppable(cmd *exec.Cmd, stop <-chan struct{}) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-stop:
			cmd.Process.Kill()
		case <-done:
		}
	}()
	return cmd.Wait()
}
