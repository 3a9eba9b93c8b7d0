package statuspage

import (
	"fmt"
	"slices"
	"time"

	"github.com/druvascim/druvascim/internal/logstore"
)

// The chart's geometry, in SVG user units.
const (
	chartW, chartH = 760.0, 200.0
	chartLeft      = 44.0
	chartRight     = 44.0
	chartTop       = 18.0
	chartBottom    = 24.0
)

// chartActions are the actions the chart stacks, bottom to top, with their
// CSS class.
var chartActions = [...]struct{ action, class string }{
	{"Create", "c-create"}, {"Update", "c-update"}, {"Disable", "c-disable"},
	{"Delete", "c-delete"}, {"StagedDelete", "c-staged"},
}

// chart is the SVG chart of the last cycles, computed on the server.
type chart struct {
	Width, Height  float64
	Left, Bottom   float64 // the plot's left edge and baseline
	Right, Top     float64
	Bars           []chartBar
	Failures       []chartMark
	Totals         []chartLabel // operations per cycle, over the bars of a short history
	Duration       string       // polyline points of the duration
	MaxOps         int
	MaxDuration    string
	Legend         []chartLegend
	Empty          bool
	First, Last    string
	CycleCount     int
	DurationLabelX float64
}

type chartBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type chartLabel struct {
	X, Y float64
	Text string
}

type chartMark struct {
	X, Y  float64
	Title string
}

type chartLegend struct{ Name, Class string }

// newChart lays out the cycles (newest first, as the store lists them)
// oldest to newest: a stacked bar of operations by action per cycle, a red
// mark per cycle with failures, and a line of the durations on the right
// axis.
func newChart(newestFirst []logstore.Cycle) chart {
	cs := slices.Clone(newestFirst)
	slices.Reverse(cs)
	c := chart{Width: chartW, Height: chartH, Left: chartLeft, Bottom: chartH - chartBottom,
		Right: chartW - chartRight, Top: chartTop, Empty: len(cs) == 0, CycleCount: len(cs),
		DurationLabelX: chartW - chartRight + 4}
	for _, a := range chartActions {
		c.Legend = append(c.Legend, chartLegend{a.action, a.class})
	}
	if c.Empty {
		return c
	}
	c.First, c.Last = cs[0].Started.Format(time.DateTime), cs[len(cs)-1].Started.Format(time.DateTime)
	var maxDur time.Duration
	for _, cy := range cs {
		c.MaxOps = max(c.MaxOps, opsOf(cy), cy.Statuses["Failure"])
		maxDur = max(maxDur, cy.Duration())
	}
	c.MaxOps = max(c.MaxOps, 1)
	c.MaxDuration = roundDuration(maxDur).String()
	// A short history gets wider bars, up to a tenth of the plot each.
	slot := (c.Right - c.Left) / float64(max(len(cs), 10))
	plotH := c.Bottom - c.Top
	for i, cy := range cs {
		x := c.Left + float64(i)*slot + slot*0.15
		y := c.Bottom
		for _, a := range chartActions {
			n := cy.Actions[a.action]
			if n == 0 {
				continue
			}
			h := plotH * float64(n) / float64(c.MaxOps)
			y -= h
			c.Bars = append(c.Bars, chartBar{X: x, Y: y, W: slot * 0.7, H: h, Class: a.class,
				Title: fmt.Sprintf("cycle %d, %s: %d %s", cy.ID, cy.Started.Format(time.DateTime), n, a.action)})
		}
		if len(cs) <= 20 {
			c.Totals = append(c.Totals, chartLabel{X: x + slot*0.35, Y: y - 3, Text: fmt.Sprint(opsOf(cy))})
		}
		if f := cy.Statuses["Failure"]; f > 0 {
			c.Failures = append(c.Failures, chartMark{X: x + slot*0.35, Y: c.Bottom - plotH*float64(f)/float64(c.MaxOps),
				Title: fmt.Sprintf("cycle %d: %d failed", cy.ID, f)})
		}
		if maxDur > 0 {
			dy := c.Bottom - plotH*float64(cy.Duration())/float64(maxDur)
			c.Duration += fmt.Sprintf("%.1f,%.1f ", x+slot*0.35, dy)
		}
	}
	return c
}

// roundDuration keeps two or three significant digits: 1.234s → 1.23s,
// 49.8ms → 50ms, 2h3m4s → 2h3m.
func roundDuration(d time.Duration) time.Duration {
	for _, unit := range []time.Duration{time.Minute, time.Second, 10 * time.Millisecond, time.Millisecond} {
		if d >= 100*unit {
			return d.Round(unit)
		}
	}
	return d.Round(time.Microsecond)
}

// opsOf counts a cycle's operations of the charted actions.
func opsOf(cy logstore.Cycle) int {
	n := 0
	for _, a := range chartActions {
		n += cy.Actions[a.action]
	}
	return n
}
