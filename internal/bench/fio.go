package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// A FioConfig is one fio configuration Compare runs: a name for the
// table and the ioengine options on top of the job's common ones.
type FioConfig struct {
	Name string
	Args []string
}

// FioConfigs are the configurations Compare runs: io_uring plain, with
// fixed buffers and registered files, batched (submit and reap a whole
// queue depth per system call), batched with fixed buffers and registered
// files, libaio batched, and glibc's posixaio. From the page cache the
// batched configurations are fio's fastest; on a virtio disk with
// O_DIRECT the unbatched ones are (each request reaches the disk alone).
// Every run also gets --iomem_align=4096 (fio's default alignment is 16
// bytes, which halves copy speed on these CPUs).
func FioConfigs(depth int) []FioConfig {
	d := strconv.Itoa(depth)
	batch := []string{"--iodepth_batch_submit=" + d, "--iodepth_batch_complete_min=1", "--iodepth_batch_complete_max=" + d}
	return []FioConfig{
		{"fio io_uring", []string{"--ioengine=io_uring"}},
		{"fio io_uring fixedbufs", []string{"--ioengine=io_uring", "--fixedbufs=1", "--registerfiles=1"}},
		{"fio io_uring batched", append([]string{"--ioengine=io_uring"}, batch...)},
		{"fio io_uring batched fixedbufs", append([]string{"--ioengine=io_uring", "--fixedbufs=1", "--registerfiles=1"}, batch...)},
		{"fio libaio batched", append([]string{"--ioengine=libaio"}, batch...)},
		{"fio posixaio", []string{"--ioengine=posixaio"}},
	}
}

// FioArgs is the fio command line for job under configuration c.
func FioArgs(job *Job, c FioConfig) []string {
	direct := "0"
	if job.Direct {
		direct = "1"
	}
	args := []string{
		"--name=fasync", "--filename=" + job.Filename, "--rw=" + job.RW,
		"--bs=" + strconv.FormatInt(job.BS, 10), "--size=" + strconv.FormatInt(job.Size, 10),
		"--iodepth=" + strconv.Itoa(job.IODepth), "--direct=" + direct,
		"--runtime=" + strconv.FormatFloat(job.Runtime.Seconds(), 'f', -1, 64) + "s", "--time_based",
		// fio drops the file's page cache before a run unless told not
		// to (invalidate=1): the cached comparison would read the disk.
		"--invalidate=0",
		"--iomem_align=4096", "--norandommap", "--randrepeat=0", "--numjobs=1",
		// Percentiles of lat_ns (a request's whole turnaround, as the
		// engine's rows measure it) rather than of clat_ns alone.
		"--lat_percentiles=1",
		"--group_reporting", "--output-format=json",
	}
	if job.Fsync > 0 {
		args = append(args, "--fsync="+strconv.Itoa(job.Fsync))
	}
	return append(args, c.Args...)
}

// fioJSON is the part of fio's JSON output compared here.
type fioJSON struct {
	Jobs []struct {
		Error  int     `json:"error"`
		UsrCPU float64 `json:"usr_cpu"` // percent of the job's runtime
		SysCPU float64 `json:"sys_cpu"`
		Read   fioStat `json:"read"`
		Write  fioStat `json:"write"`
	} `json:"jobs"`
}

type fioStat struct {
	IOPS    float64 `json:"iops"`
	BWBytes float64 `json:"bw_bytes"`
	IOs     int64   `json:"total_ios"`
	Runtime int64   `json:"runtime"` // ms
	Lat     fioLat  `json:"lat_ns"`  // from the I/O's setup to its completion seen by fio
	Clat    fioLat  `json:"clat_ns"` // from its submission
}

type fioLat struct {
	Mean       float64          `json:"mean"`
	Percentile map[string]int64 `json:"percentile"`
}

// runFio runs fio once and reads its result.
func runFio(job *Job, c FioConfig) (Result, error) {
	if stopped(job.Stop) {
		return Result{}, ErrInterrupted
	}
	cmd := exec.Command("fio", FioArgs(job, c)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A process group of its own: the terminal's Ctrl-C is for this
	// program, which stops fio itself when job.Stop says so.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("fio: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		select {
		case <-job.Stop:
			cmd.Process.Signal(os.Interrupt) // fio stops its job and exits
		case <-exited:
		}
	}()
	err := cmd.Wait()
	close(exited)
	if stopped(job.Stop) {
		return Result{}, ErrInterrupted
	}
	if err != nil {
		return Result{}, fmt.Errorf("fio: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return ParseFio(stdout.Bytes(), job.IsRead())
}

// ParseFio reads fio's JSON output (which may follow warning lines) for
// the direction read says; the latency is fio's lat_ns, or clat_ns when
// fio reported no lat_ns percentiles.
func ParseFio(out []byte, read bool) (Result, error) {
	if i := bytes.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	var fj fioJSON
	if err := json.Unmarshal(out, &fj); err != nil {
		return Result{}, fmt.Errorf("fio output: %w", err)
	}
	if len(fj.Jobs) == 0 {
		return Result{}, fmt.Errorf("fio output: no jobs")
	}
	if fj.Jobs[0].Error != 0 {
		return Result{}, fmt.Errorf("fio job error %d", fj.Jobs[0].Error)
	}
	j := fj.Jobs[0]
	st := j.Write
	if read {
		st = j.Read
	}
	cpu := (j.UsrCPU + j.SysCPU) / 100 * float64(st.Runtime) * 1e6 // ns
	lat := st.Lat
	if lat.Percentile == nil { // fio run without --lat_percentiles
		lat = st.Clat
	}
	return Result{
		CPUPerIO: cpu / float64(max(st.IOs, 1)),
		CPUsBusy: (j.UsrCPU + j.SysCPU) / 100,
		IOPS:     st.IOPS, BWBytes: st.BWBytes, IOs: st.IOs,
		RuntimeNS: int64(time.Duration(st.Runtime) * time.Millisecond),
		Clat:      Latency{P50: lat.Percentile["50.000000"], P99: lat.Percentile["99.000000"], Mean: lat.Mean},
	}, nil
}
