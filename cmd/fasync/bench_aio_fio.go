package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// fioConfig is one fio configuration --compare runs: a name for the table
// and the ioengine options on top of the job's common ones.
type fioConfig struct {
	name string
	args []string
}

// fioConfigs are the configurations of issue 3: io_uring plain, batched
// (submit and reap a whole queue depth per system call), batched with
// fixed buffers and registered files, libaio batched, and glibc's
// posixaio. Every run also gets --iomem_align=4096 (fio's default
// alignment is 16 bytes, which halves copy speed on these CPUs).
func fioConfigs(depth int) []fioConfig {
	d := strconv.Itoa(depth)
	batch := []string{"--iodepth_batch_submit=" + d, "--iodepth_batch_complete_min=1", "--iodepth_batch_complete_max=" + d}
	return []fioConfig{
		{"fio io_uring", []string{"--ioengine=io_uring"}},
		{"fio io_uring batched", append([]string{"--ioengine=io_uring"}, batch...)},
		{"fio io_uring batched fixedbufs", append([]string{"--ioengine=io_uring", "--fixedbufs=1", "--registerfiles=1"}, batch...)},
		{"fio libaio batched", append([]string{"--ioengine=libaio"}, batch...)},
		{"fio posixaio", []string{"--ioengine=posixaio"}},
	}
}

// compareAIO runs, with the job's parameters, the goroutine baseline, the
// engine's other backends and every fio configuration (when fio is
// installed), then the job itself once more, and returns their results.
// Each ratio is the job's IOPS, averaged over its first run and that last
// one, over the row's: on a shared machine the load drifts during a long
// comparison, and bracketing the others with two runs of ours shows how
// much (the last row) and evens it out.
func compareAIO(job *aioJob, ours *aioResult) []aioResult {
	var out []aioResult
	record := func(r aioResult, err error) {
		if err != nil {
			r.Err = err.Error()
		}
		out = append(out, r)
	}
	for _, engine := range []string{"goroutines", "uring", "threads"} {
		if engine == job.engine {
			continue
		}
		other := *job
		other.engine, other.batch = engine, 0
		r, err := runAIOJob(&other)
		if err != nil {
			r.Name = engine
		}
		record(r, err)
	}
	if _, err := exec.LookPath("fio"); err != nil {
		record(aioResult{Name: "fio"}, fmt.Errorf("fio not installed (apt-get install fio): no fio comparison"))
	} else {
		for _, c := range fioConfigs(job.iodepth) {
			fmt.Fprintf(job.progress, "%s: running %s\n", c.name, job.runtime)
			r, err := runFio(job, c)
			r.Name = c.name
			record(r, err)
		}
	}
	again, err := runAIOJob(job)
	again.Name = ours.Name + " (run again last)"
	record(again, err)
	mean := ours.IOPS
	if err == nil {
		mean = (ours.IOPS + again.IOPS) / 2
	}
	for i := range out {
		if out[i].Err == "" && out[i].IOPS > 0 {
			out[i].Ratio = mean / out[i].IOPS
		}
	}
	ours.Ratio = mean / ours.IOPS
	return out
}

// fioArgs is the fio command line for job under configuration c.
func fioArgs(job *aioJob, c fioConfig) []string {
	direct := "0"
	if job.direct {
		direct = "1"
	}
	args := []string{
		"--name=fasync", "--filename=" + job.filename, "--rw=" + job.rw,
		"--bs=" + strconv.FormatInt(job.bs, 10), "--size=" + strconv.FormatInt(job.size, 10),
		"--iodepth=" + strconv.Itoa(job.iodepth), "--direct=" + direct,
		"--runtime=" + strconv.FormatFloat(job.runtime.Seconds(), 'f', -1, 64) + "s", "--time_based",
		// fio drops the file's page cache before a run unless told not
		// to (invalidate=1): the cached comparison would read the disk.
		"--invalidate=0",
		"--iomem_align=4096", "--norandommap", "--randrepeat=0", "--numjobs=1",
		"--group_reporting", "--output-format=json",
	}
	return append(args, c.args...)
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
	Clat    struct {
		Mean       float64          `json:"mean"`
		Percentile map[string]int64 `json:"percentile"`
	} `json:"clat_ns"`
}

// runFio runs fio once and reads its result.
func runFio(job *aioJob, c fioConfig) (aioResult, error) {
	cmd := exec.Command("fio", fioArgs(job, c)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return aioResult{}, fmt.Errorf("fio: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parseFio(stdout.Bytes(), job.isRead())
}

// parseFio reads fio's JSON output (which may follow warning lines).
func parseFio(out []byte, read bool) (aioResult, error) {
	if i := bytes.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	var fj fioJSON
	if err := json.Unmarshal(out, &fj); err != nil {
		return aioResult{}, fmt.Errorf("fio output: %w", err)
	}
	if len(fj.Jobs) == 0 {
		return aioResult{}, fmt.Errorf("fio output: no jobs")
	}
	if fj.Jobs[0].Error != 0 {
		return aioResult{}, fmt.Errorf("fio job error %d", fj.Jobs[0].Error)
	}
	j := fj.Jobs[0]
	st := j.Write
	if read {
		st = j.Read
	}
	cpu := (j.UsrCPU + j.SysCPU) / 100 * float64(st.Runtime) * 1e6 // ns
	return aioResult{
		CPUPerIO: cpu / float64(max(st.IOs, 1)),
		CPUsBusy: (j.UsrCPU + j.SysCPU) / 100,
		IOPS:     st.IOPS, BWBytes: st.BWBytes, IOs: st.IOs,
		RuntimeNS: int64(time.Duration(st.Runtime) * time.Millisecond),
		Clat: clatNS{P50: st.Clat.Percentile["50.000000"], P99: st.Clat.Percentile["99.000000"],
			Mean: st.Clat.Mean},
	}, nil
}
