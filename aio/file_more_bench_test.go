package aio

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fasync-go/fasync/internal/benchfile"
)

// Benchmarks of what a new user of File does first, each beside os.File
// in the same run:
//
//	go test -run '^$' -bench 'FileCold|FileZip|FileOpen' -benchmem ./aio
//
// BenchmarkFileCold1024 (SPEC C21): 1024 goroutines each calling ReadAt
// for 4 KiB random blocks of the shared benchmark file dropped from the
// page cache (POSIX_FADV_DONTNEED), os.File and File each in a process of its own (the runtime
// keeps every thread it made, so the thread count is the peak): iops,
// cpu-ns/read, peak-threads (/proc/self/status Threads) and peak-rss-KiB
// (VmHWM). ns/op includes starting the process; read iops.
func BenchmarkFileCold1024(b *testing.B) {
	if testing.Short() {
		b.Skip("reads the disk")
	}
	f, err := benchfile.OpenShared(os.O_RDONLY)
	if err != nil {
		b.Fatal(err)
	}
	name := f.Name()
	f.Close()
	for _, kind := range []string{"os", "aio"} {
		row := "baseline=os.File-ReadAt/g1024"
		if kind == "aio" {
			row = "file/g1024"
		}
		b.Run(row, func(b *testing.B) {
			var res coldResult
			for range b.N {
				res = runCold(b, kind, coldGoroutines, 8*coldGoroutines, name, "", 0)
			}
			b.ReportMetric(float64(res.Reads)/res.Seconds, "iops")
			b.ReportMetric(res.CPUNS, "cpu-ns/read")
			b.ReportMetric(float64(res.Threads), "peak-threads")
			b.ReportMetric(float64(res.RSSKiB), "peak-rss-KiB")
		})
	}
}

// zipFixture lays out a zip archive of 400 entries of 33 KiB (13 MB of
// deflated text) in dir.
func zipFixture(dir string) (string, error) {
	name := filepath.Join(dir, "bench.zip")
	out, err := os.Create(name)
	if err != nil {
		return "", err
	}
	zw := zip.NewWriter(out)
	rnd := benchfile.NewRand(7)
	entry := make([]byte, 32<<10)
	for i := range 400 {
		rnd.Fill(entry)
		for j := range entry {
			entry[j] = 'a' + entry[j]%4 // compressible, as text is
		}
		w, err := zw.Create(fmt.Sprintf("dir%d/file%d.txt", i%20, i))
		if err != nil {
			return "", err
		}
		w.Write(entry)
		w.Write(bytes.Repeat([]byte{byte(i)}, 1<<10))
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return name, out.Close()
}

// readerAtFile is what the zip walk opens: os.File or File.
type readerAtFile interface {
	io.ReaderAt
	Stat() (os.FileInfo, error)
	Close() error
}

// BenchmarkFileZipWalk reads every entry of a page-cached zip archive
// through archive/zip over os.File and over File (NewFile: the default
// engine), from one goroutine and from 200 goroutines sharing the
// archive; one op is one walk of the whole archive, file opened and
// closed.
func BenchmarkFileZipWalk(b *testing.B) {
	name, err := zipFixture(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	open := map[string]func() (readerAtFile, error){
		"baseline=os.File": func() (readerAtFile, error) { return os.Open(name) },
		"file": func() (readerAtFile, error) {
			osf, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			return NewFile(osf)
		},
	}
	for _, g := range []int{1, 200} {
		for _, row := range []string{"baseline=os.File", "file"} {
			b.Run(fmt.Sprintf("%s/g%d", row, g), func(b *testing.B) {
				b.ReportAllocs()
				defer benchfile.ReportCPU(b)()
				for range b.N {
					if err := zipWalk(open[row], g); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// zipWalk opens the archive, reads every entry with g goroutines taking
// entries in turn, and closes it.
func zipWalk(open func() (readerAtFile, error), g int) error {
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, g)
	for k := range g {
		wg.Go(func() {
			for i := k; i < len(zr.File); i += g {
				rc, err := zr.File[i].Open()
				if err == nil {
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkFileOpenClose is opening and closing a file: os.Open plus
// Close, beside os.Open, NewFile (the default engine) and Close.
func BenchmarkFileOpenClose(b *testing.B) {
	name := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=os.Open", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("NewFile", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			osf, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			f, err := NewFile(osf)
			if err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}
