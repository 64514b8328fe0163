package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fasync-go/fasync/devfs"
)

// H4: each bad bench fuse flag is a usage error (exit 2) that names the
// flag and the range it accepts; nothing is mounted.
func TestBenchFuseBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ring", "1"}, `--ring "1": want sizes from 2 B to 64 MiB`},
		{[]string{"--ring", "4000,x"}, `--ring "x": want sizes from 2 B to 64 MiB`},
		{[]string{"--ring", "65m"}, `--ring "65m"`},
		{[]string{"--ring", ""}, `--ring ""`},
		{[]string{"--bytes", "0"}, "flag -bytes: 0 B is outside 1 B to 64 GiB"},
		{[]string{"--bytes", "lots"}, `invalid value "lots" for flag -bytes`},
		{[]string{"--bs", "0"}, "flag -bs: 0 B is outside 1 B to 64 MiB"},
		{[]string{"--bs", "1g"}, "flag -bs: 1 GiB is outside 1 B to 64 MiB"},
		{[]string{"--runs", "0"}, "--runs 0: want 1 to 1000"},
		{[]string{"--runs", "1001"}, "--runs 1001"},
		{[]string{"--pings", "0"}, "--pings 0: want 1 to 10000000"},
		{[]string{"--pings", "-5"}, "--pings -5"},
		{[]string{"--transport", "auto"}, `--transport "auto": want classic, uring or both`},
		{[]string{"--transport", "classic,tcp"}, "--transport"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"--runs", "two"}, "-runs"},
		{[]string{"fifo"}, "takes no arguments, got 1: fifo"},
	} {
		var stdout, stderr bytes.Buffer
		if code := benchFuseMain(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q in stderr %q", tc.args, code, tc.want, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: wrote %q on stdout", tc.args, stdout.String())
		}
	}
}

// H4: good flags, suffixes included, reach the parameters.
func TestBenchFuseFlags(t *testing.T) {
	p, err := parseFuseFlags([]string{"--bytes", "4m", "--bs", "4k", "--ring", "4000, 64k,1m", "--runs", "5",
		"--pings", "10", "--transport", "uring,classic,uring", "--svg", "x.svg"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if p.total != 4<<20 || p.bs != 4<<10 || !slices.Equal(p.sizes, []int{4000, 64 << 10, 1 << 20}) || p.runs != 5 ||
		p.pings != 10 || !slices.Equal(p.trs, []devfs.Transport{devfs.URing, devfs.Classic}) || p.svg != "x.svg" {
		t.Errorf("parsed %+v", p)
	}
}

// H4: when bench fuse turns fuse.enable_uring on it says so, and says so
// again when it puts the switch back, once however often restore runs;
// when the switch was on already it says nothing. (The switch itself is
// simulated: tests leave the machine's setting alone.)
func TestBenchFuseEnableURingNotice(t *testing.T) {
	saved := uringSwitch
	t.Cleanup(func() { uringSwitch = saved })
	for _, wasOff := range []bool{true, false} {
		restored := 0
		uringSwitch = func() (bool, func(), error) { return wasOff, func() { restored++ }, nil }
		var stderr bytes.Buffer
		_, restore := usableTransports([]devfs.Transport{devfs.Classic, devfs.URing}, &stderr)
		on := strings.Contains(stderr.String(), "turning fuse.enable_uring on")
		if on != wasOff {
			t.Errorf("switch off %t: stderr %q", wasOff, stderr.String())
		}
		restore()
		restore()
		if restored != 1 {
			t.Errorf("switch off %t: restored %d times, want once", wasOff, restored)
		}
		if off := strings.Contains(stderr.String(), "fuse.enable_uring turned off again"); off != wasOff {
			t.Errorf("switch off %t: stderr after restore %q", wasOff, stderr.String())
		}
	}
	// Without the switch the io_uring transport is dropped, saying why.
	uringSwitch = func() (bool, func(), error) { return false, nil, errors.New("no such parameter") }
	var stderr bytes.Buffer
	trs, restore := usableTransports([]devfs.Transport{devfs.Classic, devfs.URing}, &stderr)
	restore()
	if !slices.Equal(trs, []devfs.Transport{devfs.Classic}) || !strings.Contains(stderr.String(), "io_uring transport not measured: no such parameter") {
		t.Errorf("transports %v, stderr %q", trs, stderr.String())
	}
}
