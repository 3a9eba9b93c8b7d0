package perf

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/cputime"
)

// BenchmarkReaderReplay compares the Entra reader's full read of the 10k
// tenant (Reader.Fetch, as a cycle calls it) with the bare replay of the
// reader's own Graph requests (graphReplay: the same URLs, headers and
// $batch bodies, side by side as the reader sends them, each answer
// decoded with encoding/json). One iteration alternates them
// readerReplayRounds times on one tenant, after a cycle that records the
// requests. Metrics: replay/reader (the replay's time over the reader's:
// what the reader costs beyond the requests), both walls and both process
// CPU times.
func BenchmarkReaderReplay(b *testing.B) {
	const readerReplayRounds = 5
	r := newRig(b, rigConfig{users: 10_000})
	rp := newReplay(b, r.run(b, r.sync).calls)
	var readerWall, replayWall, readerCPU, replayCPU time.Duration
	b.ResetTimer()
	for range b.N {
		for range readerReplayRounds {
			runtime.GC()
			cpu0, start := cputime.Used(), time.Now()
			if _, err := r.reader.Fetch(b.Context(), ""); err != nil {
				b.Fatal(err)
			}
			readerWall += time.Since(start)
			readerCPU += cputime.Used() - cpu0

			tr := newTransport()
			runtime.GC()
			cpu0, start = cputime.Used(), time.Now()
			if err := rp.run(b.Context(), &http.Client{Transport: tr}, nil); err != nil {
				b.Fatal(err)
			}
			replayWall += time.Since(start)
			replayCPU += cputime.Used() - cpu0
			tr.CloseIdleConnections()
		}
	}
	n := float64(b.N * readerReplayRounds)
	b.ReportMetric(replayWall.Seconds()/readerWall.Seconds(), "replay/reader")
	b.ReportMetric(readerWall.Seconds()/n, "reader-s")
	b.ReportMetric(replayWall.Seconds()/n, "replay-s")
	b.ReportMetric(readerCPU.Seconds()/n, "reader-cpu-s")
	b.ReportMetric(replayCPU.Seconds()/n, "replay-cpu-s")
}
