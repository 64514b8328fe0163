package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

// fioConfig is one fio configuration --compare runs: a name for the table
// and the ioengine options on top of the job's common ones.
type fioConfig struct {
	name string
	args []string
}

// fioConfigs are what the Engine is compared with: io_uring plain, with
// fixed buffers and registered files, batched (submit and reap a whole
// queue depth per system call), batched with fixed buffers and registered
// files, libaio batched, and glibc's posixaio. From the page cache the
// batched configurations are fio's fastest; on a virtio disk with
// O_DIRECT the unbatched ones are (each request reaches the disk alone). Every run also gets --iomem_align=4096 (fio's default
// alignment is 16 bytes, which halves copy speed on these CPUs).
func fioConfigs(depth int) []fioConfig {
	d := strconv.Itoa(depth)
	batch := []string{"--iodepth_batch_submit=" + d, "--iodepth_batch_complete_min=1", "--iodepth_batch_complete_max=" + d}
	return []fioConfig{
		{"fio io_uring", []string{"--ioengine=io_uring"}},
		{"fio io_uring fixedbufs", []string{"--ioengine=io_uring", "--fixedbufs=1", "--registerfiles=1"}},
		{"fio io_uring batched", append([]string{"--ioengine=io_uring"}, batch...)},
		{"fio io_uring batched fixedbufs", append([]string{"--ioengine=io_uring", "--fixedbufs=1", "--registerfiles=1"}, batch...)},
		{"fio libaio batched", append([]string{"--ioengine=libaio"}, batch...)},
		{"fio posixaio", []string{"--ioengine=posixaio"}},
	}
}

// A contender is one row of the --compare table.
type contender struct {
	name string
	run  func() (aioResult, error)
}

// compareAIO runs the job and, with the same parameters, the goroutine
// baseline, the engine's other backends and every fio configuration (when
// fio is installed), rounds times each, and returns the job's result and
// the others'. The rounds alternate direction (forward, then backward, ...)
// so that on a shared machine, where the load drifts during a long
// comparison, no row always runs early or late. A row reports its median
// run (every run's IOPS in IOPSRuns); each ratio is the job's median IOPS
// over the row's.
func compareAIO(job *aioJob, rounds int) (aioResult, []aioResult) {
	rows := []contender{{job.engine, func() (aioResult, error) { return runAIOJob(job) }}}
	if job.engine == "uring" {
		// The other buffer variant of the engine: fixed buffers beside
		// plain ones, so the table shows what registration buys.
		other := *job
		other.fixed = !job.fixed
		rows = append(rows, contender{"uring", func() (aioResult, error) { return runAIOJob(&other) }})
		// And the other notification: SIGEV_INLINE callbacks beside
		// SIGEV_CHAN consumer goroutines.
		notified := *job
		notified.notify = map[string]string{"chan": "inline", "inline": "chan"}[job.notify]
		// Ring threads are for SIGEV_INLINE (aio.WithRingThreads): the
		// channel row runs without them.
		notified.threads = notified.threads && notified.notify == "inline"
		rows = append(rows, contender{"uring", func() (aioResult, error) { return runAIOJob(&notified) }})
	}
	for _, engine := range []string{"goroutines", "uring", "threads"} {
		if engine == job.engine {
			continue
		}
		other := *job
		other.engine, other.batch, other.fixed, other.notify = engine, 0, false, "chan"
		rows = append(rows, contender{engine, func() (aioResult, error) { return runAIOJob(&other) }})
	}
	if _, err := exec.LookPath("fio"); err != nil {
		rows = append(rows, contender{"fio", func() (aioResult, error) {
			return aioResult{}, fmt.Errorf("fio not installed (apt-get install fio): no fio comparison")
		}})
	} else {
		for _, c := range fioConfigs(job.iodepth) {
			rows = append(rows, contender{c.name, func() (aioResult, error) {
				fmt.Fprintf(job.progress, "%s: running %s\n", c.name, job.runtime)
				return runFio(job, c)
			}})
		}
	}
	runs := make([][]aioResult, len(rows))
	errs := make([]error, len(rows))
	for round := range rounds {
		for k := range rows {
			i := k
			if round%2 == 1 {
				i = len(rows) - 1 - k
			}
			if errs[i] != nil {
				continue
			}
			r, err := rows[i].run()
			if err != nil {
				errs[i] = err
				continue
			}
			if r.Name == "" {
				r.Name = rows[i].name
			}
			runs[i] = append(runs[i], r)
		}
	}
	results := make([]aioResult, len(rows))
	for i := range rows {
		if errs[i] != nil {
			results[i] = aioResult{Name: rows[i].name, Err: errs[i].Error()}
			continue
		}
		results[i] = median(runs[i])
	}
	for i := range results {
		if results[i].Err == "" && results[i].IOPS > 0 && results[0].Err == "" {
			results[i].Ratio = results[0].IOPS / results[i].IOPS
		}
	}
	return results[0], results[1:]
}

// median returns the run of median IOPS (for an even count, the lower
// middle run with IOPS and bandwidth the mean of the two middle ones),
// listing every run's IOPS.
func median(rs []aioResult) aioResult {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b aioResult) int { return cmp.Compare(a.IOPS, b.IOPS) })
	m := sorted[(len(sorted)-1)/2]
	if len(sorted)%2 == 0 {
		hi := sorted[len(sorted)/2]
		m.IOPS, m.BWBytes = (m.IOPS+hi.IOPS)/2, (m.BWBytes+hi.BWBytes)/2
	}
	m.IOPSRuns = nil
	for _, r := range rs {
		m.IOPSRuns = append(m.IOPSRuns, r.IOPS)
	}
	return m
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
