package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/druvascim/druvascim"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether f is an interactive terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progress draws one progress bar on a terminal and nothing elsewhere.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress starts a bar of total steps described by what; with an
// unknown total (0) it draws nothing.
func newProgress(w io.Writer, total int, what string) *progress {
	if total <= 0 {
		return &progress{}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("ops"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

// Add advances the bar by n steps.
func (p *progress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Done clears the bar.
func (p *progress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// phaseProgress shows one bar per phase of a cycle, fed by the Syncer's
// progress callbacks (which may come from several goroutines).
type phaseProgress struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	phase string
	done  int
	bar   *progress
}

// newPhaseProgress returns a progress display that draws only on a terminal
// and when enabled.
func newPhaseProgress(env *environment, enabled bool) *phaseProgress {
	return &phaseProgress{w: env.stderr, enabled: enabled && env.isTerminal}
}

// Update records how far a phase has got.
func (p *phaseProgress) Update(pr druvascim.Progress) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.Phase != p.phase {
		if p.bar != nil {
			p.bar.Done()
		}
		p.phase, p.done = pr.Phase, 0
		p.bar = newProgress(p.w, pr.Total, pr.Phase)
	}
	if pr.Done > p.done {
		p.bar.Add(pr.Done - p.done)
		p.done = pr.Done
	}
}

// Done clears the current bar.
func (p *phaseProgress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Done()
		p.bar = nil
	}
}
