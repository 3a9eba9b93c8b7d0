package perf

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/cputime"
	"github.com/druvascim/druvascim/mapping"
)

// The whole job as a CLI runs it: the fakes in a process of their own.
//
// In BenchmarkInitialSync the fake Graph tenant and the fake Druva share
// the measured process, so every garbage collection that the cycle's
// allocations start also marks the fakes' heap: the whole generated
// tenant and every user stored. A CLI never pays that; its process holds
// only its own work. BenchmarkWholeJob starts this test binary again as
// the fakes' process (TestFakesProcess) and measures, in this one, the
// cycle and the bare program alone, over loopback as before.

// wholeJobRounds is how many rounds (a cycle, then the bare program twice)
// one iteration of BenchmarkWholeJob runs.
const wholeJobRounds = 3

// fakesEnv, set to a number of users, makes TestFakesProcess serve.
const fakesEnv = "DRUVASCIM_PERF_FAKES_USERS"

// TestFakesProcess is the fakes' process of BenchmarkWholeJob, and is
// skipped otherwise. It generates the tenant (seed 1), prints
// "GRAPH <url> <token> <service principal id>", then answers commands
// read from standard input, one a line, until it ends:
//
//	druva  closes the last fake Druva, starts an empty one and prints
//	       "DRUVA <url> <token>";
//	len    prints "LEN <n>", the users the current fake Druva holds.
func TestFakesProcess(t *testing.T) {
	users, err := strconv.Atoi(os.Getenv(fakesEnv))
	if err != nil {
		t.Skip("the fakes' process of BenchmarkWholeJob; started by it")
	}
	g, err := entratest.NewServer(entratest.WithUsers(users), entratest.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	fmt.Printf("GRAPH %s %s %s\n", g.URL, g.Token, g.ServicePrincipalID)
	var d *druvatest.Server
	defer func() {
		if d != nil {
			d.Close()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "druva":
			if d != nil {
				d.Close()
			}
			if d, err = druvatest.NewServer(); err != nil {
				t.Fatal(err)
			}
			runtime.GC() // the last one's users go now, not during a run
			fmt.Printf("DRUVA %s %s\n", d.URL, d.Token)
		case "len":
			fmt.Printf("LEN %d\n", d.Len())
		default:
			t.Fatalf("unknown command %q", in.Text())
		}
	}
}

// fakesProcess is the fakes' process, seen from the benchmark.
type fakesProcess struct {
	cmd                      *exec.Cmd
	in                       io.WriteCloser
	out                      *bufio.Scanner
	graphURL, graphToken, sp string
}

// startFakes starts this test binary as the fakes' process with a tenant
// of users users, and stops it when tb ends.
func startFakes(tb testing.TB, users int) *fakesProcess {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFakesProcess$")
	cmd.Env = append(os.Environ(), fakesEnv+"="+strconv.Itoa(users))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	f := &fakesProcess{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	tb.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	g := f.answer(tb, "GRAPH", 3)
	f.graphURL, f.graphToken, f.sp = g[0], g[1], g[2]
	return f
}

// answer reads lines until one starts with word and has n fields after it.
func (f *fakesProcess) answer(tb testing.TB, word string, n int) []string {
	tb.Helper()
	for f.out.Scan() {
		if fs := strings.Fields(f.out.Text()); len(fs) == n+1 && fs[0] == word {
			return fs[1:]
		}
	}
	tb.Fatalf("the fakes' process ended before its %s line: %v", word, f.out.Err())
	return nil
}

func (f *fakesProcess) command(tb testing.TB, c string) {
	tb.Helper()
	if _, err := fmt.Fprintln(f.in, c); err != nil {
		tb.Fatal(err)
	}
}

// newDruva replaces the fakes' process's Druva with an empty one.
func (f *fakesProcess) newDruva(tb testing.TB) druvaAt {
	tb.Helper()
	f.command(tb, "druva")
	a := f.answer(tb, "DRUVA", 2)
	return druvaAt{URL: a[0], Token: a[1]}
}

// cpu returns the CPU time the fakes' process has used so far, read from
// /proc (zero where there is none: the metrics that need it are then
// left out).
func (f *fakesProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", f.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 14th and 15th fields of the line, in clock ticks
	// (100 a second on Linux).
	fs := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fs) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(fs[11], 10, 64)
	st, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// druvaLen is how many users the current fake Druva holds.
func (f *fakesProcess) druvaLen(tb testing.TB) int {
	tb.Helper()
	f.command(tb, "len")
	n, err := strconv.Atoi(f.answer(tb, "LEN", 1)[0])
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkWholeJob compares, for the 10k tenant, a full initial cycle
// (Syncer.Run, as BenchmarkInitialSync runs it) with the bare whole-job
// program (bareJob's: the reader's Graph requests replayed, the empty
// Druva listed, the same users POSTed 8 at a time and each answer decoded
// with encoding/json), with the fakes in their own process. Each round
// runs a cycle into an empty fake Druva, then the bare program twice, each
// into another; an iteration runs wholeJobRounds rounds.
//
// Metrics: job/cycle, the bare program's mean time over the cycle's, summed
// over the rounds (target: >= 0.8), with its median and extremes over the
// rounds; the walls; the measured process's CPU per create for each.
func BenchmarkWholeJob(b *testing.B) {
	const users = 10_000
	f := startFakes(b, users)
	var cycleWall, jobWall, cycleCPU, jobCPU time.Duration
	var cycleGC, jobGC gcCounts
	var cycleFakes, jobFakes time.Duration // the fakes' process's CPU time
	var ratios []float64
	creates := 0
	for range b.N {
		for range wholeJobRounds {
			fakes0 := f.cpu()
			c := f.cycle(b)
			cycleFakes += f.cpu() - fakes0
			var job jobRun
			for range 2 {
				d := f.newDruva(b)
				fakes0 := f.cpu()
				r := runJob(b, c.replay, d, c.bodies, defaultConcurrency, true)
				jobFakes += f.cpu() - fakes0
				if n := f.druvaLen(b); n != len(c.bodies) {
					b.Fatalf("bare job stored %d users of %d", n, len(c.bodies))
				}
				job.wall += r.wall / 2
				job.cpu += r.cpu / 2
				jobGC = jobGC.add(r.gc)
			}
			cycleWall += c.wall
			cycleCPU += c.cpu
			cycleGC = cycleGC.add(c.gc)
			jobWall += job.wall
			jobCPU += job.cpu
			creates += len(c.bodies)
			ratios = append(ratios, job.wall.Seconds()/c.wall.Seconds())
		}
	}
	slices.Sort(ratios)
	b.ReportMetric(jobWall.Seconds()/cycleWall.Seconds(), "job/cycle")
	b.ReportMetric(ratios[len(ratios)/2], "job/cycle-median-round")
	b.ReportMetric(ratios[0], "job/cycle-min-round")
	b.ReportMetric(ratios[len(ratios)-1], "job/cycle-max-round")
	rounds := float64(len(ratios))
	b.ReportMetric(cycleWall.Seconds()/rounds, "cycle-s")
	b.ReportMetric(jobWall.Seconds()/rounds, "job-s")
	perCreate := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(creates) }
	b.ReportMetric(perCreate(cycleCPU), "cycle-cpu-µs/user")
	b.ReportMetric(perCreate(jobCPU), "job-cpu-µs/user")
	// The bare program ran twice a round.
	b.ReportMetric(float64(cycleGC.cycles)/rounds, "cycle-gcs")
	b.ReportMetric(float64(jobGC.cycles)/rounds/2, "job-gcs")
	b.ReportMetric(float64(cycleGC.allocBytes)/rounds/(1<<20), "cycle-alloc-MiB")
	b.ReportMetric(float64(jobGC.allocBytes)/rounds/2/(1<<20), "job-alloc-MiB")
	b.ReportMetric(cycleGC.cpu.Seconds()/rounds, "cycle-gc-cpu-s")
	b.ReportMetric(jobGC.cpu.Seconds()/rounds/2, "job-gc-cpu-s")
	if cycleFakes > 0 {
		// Both processes' CPU over the wall: 2 on a 2-core machine that
		// the work keeps busy.
		b.ReportMetric((cycleCPU+cycleFakes).Seconds()/cycleWall.Seconds(), "cycle-cores")
		b.ReportMetric((jobCPU+jobFakes/2).Seconds()/jobWall.Seconds(), "job-cores")
		b.ReportMetric(cycleFakes.Seconds()/rounds, "cycle-fakes-cpu-s")
		b.ReportMetric(jobFakes.Seconds()/rounds/2, "job-fakes-cpu-s")
	}
}

// measuredCycle is one cycle of BenchmarkWholeJob, with what the bare
// program needs to do the same work.
type measuredCycle struct {
	wall, cpu time.Duration
	gc        gcCounts // what the collector did in the cycle
	bodies    [][]byte
	replay    *graphReplay
}

// cycle runs one initial cycle from the fakes' tenant into an empty fake
// Druva, with a reader, a client and a memory store made for it as the
// rig makes them, and checks that it created every user it planned to.
func (f *fakesProcess) cycle(b *testing.B) measuredCycle {
	b.Helper()
	d := f.newDruva(b)
	set := mapping.DruvaDefault()
	wire := &graphLog{next: newTransport()}
	reader := newReader(b, f.graphURL, f.graphToken, f.sp, set, wire)
	client, err := druva.NewClient(d.Token, druva.WithBaseURL(d.URL), druva.WithRateLimit(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	s, err := druvascim.NewSyncer(reader, client, set, druvascim.NewMemoryStore(), noDeletionHold())
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	cpu0, gc0 := cputime.Used(), readGCCounts()
	start := time.Now()
	var res *druvascim.Result
	pprof.Do(b.Context(), pprof.Labels("perf", "cycle"), func(ctx context.Context) { res, err = s.Run(ctx) })
	wall, cpu, gc := time.Since(start), cputime.Used()-cpu0, readGCCounts().since(gc0)
	if err != nil {
		b.Fatalf("cycle: %v", err)
	}
	if failed := res.Report.Failed(); len(failed) != 0 {
		b.Fatalf("cycle: %d failed operations, first %+v", len(failed), failed[0])
	}
	n := res.Plan.Counts[druvascim.ActionCreate]
	if got := f.druvaLen(b); n == 0 || got != n {
		b.Fatalf("%d creates planned, fake Druva holds %d", n, got)
	}
	return measuredCycle{wall: wall, cpu: cpu, gc: gc, bodies: postBodies(b, res.Plan), replay: newReplay(b, wire.take())}
}
