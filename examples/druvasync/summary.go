package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
)

// writeSummary writes a short table of a cycle's summary for people.
func writeSummary(w io.Writer, r *druvascim.Report) error {
	s := r.Summary
	kind := "incremental"
	if s.Full {
		kind = "full"
		if s.FullReason != "" {
			kind = "full: " + s.FullReason
		}
	}
	if s.DryRun {
		kind += ", dry run"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cycle %s (%s): %d source objects, %d target users\n", s.CycleID, kind, s.SourceObjects, s.TargetUsers)
	for _, a := range slices.Sorted(maps.Keys(s.Actions)) {
		fmt.Fprintf(&b, "  %-13s %d\n", a, s.Actions[a])
	}
	for _, st := range []druvascim.Status{druvascim.StatusSuccess, druvascim.StatusFailure, druvascim.StatusSkipped, druvascim.StatusWarning} {
		if n := s.Statuses[st]; n > 0 {
			fmt.Fprintf(&b, "  %-13s %d\n", st, n)
		}
	}
	fmt.Fprintf(&b, "  durations: read source %s, read target %s, map %s, plan %s, apply %s\n",
		s.ReadSource.Round(time.Millisecond), s.ReadTarget.Round(time.Millisecond), s.Map.Round(time.Millisecond),
		s.Plan.Round(time.Millisecond), s.Apply.Round(time.Millisecond))
	fmt.Fprintf(&b, "  target calls: %d", s.TargetCalls)
	if s.Requests > 0 {
		fmt.Fprintf(&b, ", HTTP requests: %s", strconv.FormatInt(s.Requests, 10))
	}
	b.WriteByte('\n')
	if h := s.Held; h != nil {
		if h.Everything {
			fmt.Fprintf(&b, "  HELD, nothing applied: %s\n", h.Message)
		} else {
			fmt.Fprintf(&b, "  held: %d disables waiting for approval (druvasync sync --approve-deletes): %s\n", h.Disables+h.Deletes, h.Message)
		}
	}
	if s.Escrowed > 0 {
		fmt.Fprintf(&b, "  escrowed: %d objects wait for a retry (6 h, 12 h, 24 h after the first failure, then daily for 28 days)\n", s.Escrowed)
	}
	if s.EscrowsPruned > 0 {
		fmt.Fprintf(&b, "  escrows ended: %d objects failed for 28 days and are no longer retried (druvasync restart retries them)\n", s.EscrowsPruned)
	}
	if s.Quarantined {
		fmt.Fprintf(&b, "  QUARANTINED: %s\n", s.QuarantineReason)
		if q := s.Quarantine; q != nil {
			fmt.Fprintf(&b, "  quarantined since %s; next attempt after %s\n", q.Since.Format(time.RFC3339), q.NextAttempt.Format(time.RFC3339))
		}
	}
	if s.Canceled {
		b.WriteString("  CANCELED before the cycle finished\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
