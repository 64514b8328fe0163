package devfs_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasync-go/fasync/devfs"
	"github.com/fasync-go/fasync/internal/testutil"
)

// R3, M1, B2–B4: 4 writer and 4 reader processes (dd, cat: unmodified
// programs) share one device of the default size and move 10^6 bytes;
// every byte is delivered exactly once.
//
// Writer w writes bytes w<<6 | i%64, so a byte's value says who wrote it
// and where it sat modulo 64; per-value counts over all readers must match
// what the writers wrote, which any loss or duplication breaks.
func TestFourWritersFourReaders(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr devfs.Transport) {
		const writers, readers, perWriter = 4, 4, 250_000
		e := mountScull(t, tr, 1, 4000)
		dev := e.dev(0)
		files, want := patternFiles(t, writers, perWriter)
		counts := startCountingReaders(t, dev, readers)

		var ws []*proc
		for w, f := range files {
			if w%2 == 0 {
				ws = append(ws, start(t, "dd", "if="+f, "of="+dev, "bs=4096", "status=none"))
			} else {
				ws = append(ws, start(t, "sh", "-c", "cat "+f+" > "+dev))
			}
		}
		for w, p := range ws {
			if err := p.wait(); err != nil {
				t.Fatalf("writer %d: %v", w, err)
			}
		}
		testutil.WaitFor(t, "readers to receive 10^6 bytes", func() bool { return counts.total.Load() >= writers*perWriter })
		e.waitQueued(t, 0, readers) // every reader's next READ has reached the server
		got := counts.stop(t)
		if n := counts.total.Load(); n != writers*perWriter {
			t.Fatalf("readers got %d bytes, writers wrote %d", n, writers*perWriter)
		}
		for v := range got {
			if got[v] != want[v] {
				t.Fatalf("byte value %#02x delivered %d times, written %d times", v, got[v], want[v])
			}
		}
	})
}

// patternFiles writes one file per writer, writer w's bytes being
// w<<6 | i%64, and returns the files and how often each value occurs.
func patternFiles(t *testing.T, writers, perWriter int) ([]string, [256]int64) {
	var want [256]int64
	files := make([]string, writers)
	for w := range writers {
		b := make([]byte, perWriter)
		for i := range b {
			b[i] = byte(w<<6 | i%64)
			want[b[i]]++
		}
		files[w] = filepath.Join(t.TempDir(), fmt.Sprintf("w%d", w))
		if err := os.WriteFile(files[w], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files, want
}

// countingReaders are cat processes reading one device; their output is
// counted per byte value.
type countingReaders struct {
	cats  []*exec.Cmd
	wg    sync.WaitGroup
	mu    sync.Mutex
	got   [256]int64
	total atomic.Int64
}

func startCountingReaders(t *testing.T, dev string, n int) *countingReaders {
	r := &countingReaders{}
	for range n {
		cat := exec.Command("cat", dev)
		out, err := cat.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Start(); err != nil {
			t.Fatal(err)
		}
		r.cats = append(r.cats, cat)
		r.wg.Add(1)
		go r.count(out)
	}
	t.Cleanup(func() { r.kill() })
	return r
}

func (r *countingReaders) count(out io.Reader) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := out.Read(buf)
		r.mu.Lock()
		for _, c := range buf[:n] {
			r.got[c]++
		}
		r.mu.Unlock()
		r.total.Add(int64(n))
		if err != nil {
			return
		}
	}
}

func (r *countingReaders) kill() {
	for _, c := range r.cats {
		c.Process.Kill()
		c.Wait()
	}
}

// stop kills the readers, which by now sleep in read with nothing left
// (killing loses nothing already counted), waits for their output to be
// counted and returns the counts.
func (r *countingReaders) stop(t *testing.T) [256]int64 {
	r.kill()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatal("reader output pipes did not close")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}
