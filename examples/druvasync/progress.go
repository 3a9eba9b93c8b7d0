package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"

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

// phaseProgress shows what a cycle is doing on a terminal: while it reads
// (Entra and Druva at once, totals unknown) a spinner with running counts,
// then a bar for each phase with a known total. It is fed by the Syncer's
// progress callbacks and the Entra reader's, which may come from several
// goroutines.
type phaseProgress struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	phase druvascim.Phase
	done  int
	bar   *progress

	spin        *progressbar.ProgressBar // while reading
	entraItems  int64                    // objects on the Graph pages read so far
	druvaUsers  int                      // Druva users listed so far
	readingDone bool                     // both reads have ended
}

// newPhaseProgress returns a progress display that draws only on a terminal
// and when enabled.
func newPhaseProgress(env *environment, enabled bool) *phaseProgress {
	return &phaseProgress{w: env.stderr, enabled: enabled && env.isTerminal}
}

// Update records how far a phase of the Syncer has got.
func (p *phaseProgress) Update(pr druvascim.Progress) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch pr.Phase {
	case druvascim.PhaseReadSource:
		if pr.Done == 0 && pr.Total == 0 {
			// A cycle starts: drop what the last one drew and counted. (Its
			// objects are counted by Entra, whose unit is finer.)
			if p.bar != nil {
				p.bar.Done()
				p.bar, p.phase = nil, ""
			}
			p.entraItems, p.druvaUsers, p.readingDone = 0, 0, false
		}
		p.entraItems = max(p.entraItems, int64(pr.Done))
		p.reading()
		return
	case druvascim.PhaseReadTarget:
		p.druvaUsers = max(p.druvaUsers, pr.Done)
		p.reading()
		return
	}
	p.stopReading()
	if pr.Phase != p.phase {
		if p.bar != nil {
			p.bar.Done()
		}
		p.phase, p.done = pr.Phase, 0
		p.bar = newProgress(p.w, pr.Total, string(pr.Phase))
	}
	if pr.Done > p.done {
		p.bar.Add(pr.Done - p.done)
		p.done = pr.Done
	}
}

// entraProgress forwards the Entra reader's progress into f as the
// Syncer's read-source phase, so that one stream shows the whole cycle.
func entraProgress(f func(druvascim.Progress)) entra.Option {
	return entra.WithProgress(func(pr entra.Progress) {
		f(druvascim.Progress{Phase: druvascim.PhaseReadSource, Done: int(pr.Items)})
	})
}

// reading draws the spinner with the counts so far; p.mu is held.
func (p *phaseProgress) reading() {
	if p.readingDone {
		return
	}
	desc := fmt.Sprintf("reading  Entra: %d objects  Druva: %d users", p.entraItems, p.druvaUsers)
	if p.spin == nil {
		p.spin = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		_ = p.spin.RenderBlank()
		return
	}
	p.spin.Describe(desc)
}

// stopReading clears the spinner once a later phase starts; p.mu is held.
func (p *phaseProgress) stopReading() {
	if p.spin != nil {
		_ = p.spin.Finish()
		p.spin = nil
	}
	p.readingDone = true
}

// Done clears whatever is drawn.
func (p *phaseProgress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopReading()
	if p.bar != nil {
		p.bar.Done()
		p.bar = nil
	}
}
