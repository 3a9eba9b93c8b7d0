package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
)

// writeJSONLines writes one JSON object per entry of r, one per line.
func writeJSONLines(w io.Writer, r *druvascim.Report) error {
	enc := json.NewEncoder(w)
	for i := range r.Entries {
		if err := enc.Encode(&r.Entries[i]); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// csvColumns returns the header row writeCSV writes.
func csvColumns() []string {
	return []string{"changeId", "cycleId", "time", "sourceId", "targetId", "displayName",
		"action", "status", "reason", "steps", "modified", "errorCode", "message", "detail"}
}

// writeCSV writes the entries of r as CSV, one row per entry after a header row:
// changeId, cycleId, time, sourceId, targetId, displayName, action, status,
// reason, steps, modified, errorCode, message, detail. Steps and modified
// properties are joined into one cell each.
func writeCSV(w io.Writer, r *druvascim.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, e := range r.Entries {
		steps := make([]string, len(e.Steps))
		for i, s := range e.Steps {
			steps[i] = s.Name + ":" + string(s.Status)
			if s.Detail != "" {
				steps[i] += " (" + s.Detail + ")"
			}
		}
		mods := make([]string, len(e.Modified))
		for i, m := range e.Modified {
			mods[i] = m.Path + ": " + changeText(m)
		}
		rec := []string{e.ChangeID, e.CycleID, e.Time.UTC().Format(time.RFC3339Nano), csvSafe(e.SourceID), csvSafe(e.TargetID),
			csvSafe(e.DisplayName), string(e.Action), string(e.Status), string(e.Reason), csvSafe(strings.Join(steps, "; ")),
			csvSafe(strings.Join(mods, "; ")), string(e.ErrorCode), csvSafe(e.Message), csvSafe(e.Detail)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
