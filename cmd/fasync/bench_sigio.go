package main

// fasync bench fuse, signal rows (SPEC F): the time from a write to an
// exported scullpipe until a C SA_SIGINFO handler of another process runs
// (the devfs signal bridge), beside the same on a kernel FIFO and a
// poll(2) wake-up on the same exported device, in one run. The client is
// a small C program built with gcc for the run.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sigbenchSource is the client: a writer child and a receiver parent
// sharing the writer's timestamps through shared memory. Each round the
// writer takes CLOCK_MONOTONIC and writes one byte; the receiver, woken
// by its handler (mode signal: F_SETSIG SIGRTMIN+10, F_SETOWN, O_ASYNC)
// or by poll(2) (mode poll), takes the clock, drains the byte and lets
// the writer go on. It prints the p50 and p99 of the rounds in ns.
const sigbenchSource = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static void handler(int s, siginfo_t *si, void *uc) { (void)s; (void)si; (void)uc; got = 1; }
static int cmp(const void *a, const void *b) { long long x = *(long long *)a, y = *(long long *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
	if (argc != 4) return 2;
	int sigmode = strcmp(argv[1], "signal") == 0, n = atoi(argv[3]);
	volatile long long *t0 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], done[2];
	if (pipe(go) || pipe(done)) return 1;
	int rfd = open(argv[2], O_RDONLY | O_NONBLOCK);
	if (rfd < 0) { perror(argv[2]); return 1; }
	pid_t w = fork();
	if (w == 0) {
		int wfd = open(argv[2], O_WRONLY);
		char c = 'x';
		write(done[1], &c, 1);
		for (int i = -1; i < n; i++) {
			if (read(go[0], &c, 1) != 1) _exit(1);
			*t0 = now();
			while (write(wfd, &c, 1) < 0 && errno == EINTR) ;
		}
		_exit(0);
	}
	char c;
	read(done[0], &c, 1);
	int sig = SIGRTMIN + 10;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, sig);
	if (sigmode) {
		struct sigaction sa; memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = handler; sa.sa_flags = SA_SIGINFO;
		sigaction(sig, &sa, NULL);
		sigprocmask(SIG_BLOCK, &block, &old);
		fcntl(rfd, F_SETSIG, sig);
		fcntl(rfd, F_SETOWN, getpid());
		fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_ASYNC);
	}
	long long *lat = calloc(n, sizeof *lat);
	char buf[64];
	/* One round unmeasured: the export looks at a new owner once. */
	for (int i = -1; i < n; i++) {
		write(go[1], "g", 1);
		long long t1;
		if (sigmode) {
			while (!got) sigsuspend(&old);
			t1 = now();
			got = 0;
		} else {
			struct pollfd p = {rfd, POLLIN, 0};
			while (poll(&p, 1, -1) < 0 && errno == EINTR) ;
			t1 = now();
		}
		while (read(rfd, buf, sizeof buf) < 0 && errno == EINTR) ;
		if (i >= 0) lat[i] = t1 - *t0;
		else if (waitpid(w, NULL, WNOHANG) != 0) return 1;
	}
	qsort(lat, n, sizeof *lat, cmp);
	printf("p50 %lld p99 %lld\n", lat[n / 2], lat[n * 99 / 100]);
	return 0;
}
`

// benchSignals measures the signal rows. Without gcc, or without the
// bridge on the export, it says why and measures nothing.
func benchSignals(env *benchEnv, rounds int) error {
	rounds = max(rounds/10, 100)
	if _, err := exec.LookPath("gcc"); err != nil {
		fmt.Println("signal latency not measured: gcc not found (apt-get install gcc)")
		return nil
	}
	src := filepath.Join(env.tmp, "sigbench.c")
	exe := filepath.Join(env.tmp, "sigbench")
	if err := os.WriteFile(src, []byte(sigbenchSource), 0o600); err != nil {
		return err
	}
	if out, err := exec.Command("gcc", "-O2", "-o", exe, src).CombinedOutput(); err != nil {
		return fmt.Errorf("gcc sigbench.c: %v\n%s", err, out)
	}
	type row struct {
		name     string
		mode     string
		path     string
		p50, p99 float64
		base     int // the row it is compared with, -1 for none
	}
	rows := []row{{name: "fifo write→signal handler", mode: "signal", path: env.fifos[0], base: -1}}
	for _, x := range env.exports {
		if !x.m.Sigio() {
			fmt.Printf("fuse/%v signal latency not measured: the export runs without signals\n", x.tr)
			continue
		}
		if err := x.pipes.Pipe(0).SetSize(4000); err != nil {
			return err
		}
		poll := len(rows)
		rows = append(rows,
			row{name: fmt.Sprintf("fuse/%v write→poll wake-up", x.tr), mode: "poll", path: x.dev(0), base: -1},
			row{name: fmt.Sprintf("fuse/%v write→signal handler", x.tr), mode: "signal", path: x.dev(0), base: poll})
	}
	for i := range rows {
		out, err := exec.Command(exe, rows[i].mode, rows[i].path, strconv.Itoa(rounds)).Output()
		if err != nil {
			return fmt.Errorf("sigbench %s %s: %v", rows[i].mode, rows[i].path, err)
		}
		var p50, p99 float64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "p50 %g p99 %g", &p50, &p99); err != nil {
			return fmt.Errorf("sigbench said %q", out)
		}
		rows[i].p50, rows[i].p99 = p50/1e3, p99/1e3
	}
	fmt.Printf("%-40s %10s %10s   %s\n", "write→wake-up, 1 byte ("+strconv.Itoa(rounds)+" rounds)", "p50", "p99", "p50 vs")
	for _, r := range rows {
		vs := ""
		if r.base >= 0 {
			vs = fmt.Sprintf("%.2f× the same device's poll wake-up", r.p50/rows[r.base].p50)
		} else if r.mode == "poll" {
			vs = fmt.Sprintf("%.1f× the FIFO's signal", r.p50/rows[0].p50)
		}
		fmt.Printf("%-40s %7.1f µs %7.1f µs   %s\n", r.name, r.p50, r.p99, vs)
	}
	return nil
}
