package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
)

// The CSV log has a header row and one row per entry; a cell a spreadsheet
// would run as a formula is defused, changes are rendered as JSON text, and
// a masked value stays masked. The JSON-lines log has one entry per line.
func TestLogFormats(t *testing.T) {
	rep := &druvascim.Report{Entries: []druvascim.Entry{
		{ChangeID: "c-1", CycleID: "c", Time: time.Unix(0, 0), SourceID: "s1", DisplayName: "=HYPERLINK(\"x\")",
			Action: druvascim.ActionUpdate, Status: druvascim.StatusSuccess,
			Modified: []druvascim.PropertyChange{{Path: "displayName", Old: "Bob", New: "Robert"},
				{Path: "title", Old: nil, New: "[REDACTED]", Redacted: true}}},
		{ChangeID: "c-2", CycleID: "c", Time: time.Unix(0, 0), SourceID: "s2", Action: druvascim.ActionSkip,
			Status: druvascim.StatusSkipped, Reason: druvascim.ReasonUnchanged},
	}}
	var b bytes.Buffer
	if err := writeCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 3 || !slices.Equal(recs[0], csvColumns()) || strings.Join(recs[0], ",") != csvHeader {
		t.Fatalf("csv: %v %q", err, recs)
	}
	if got := recs[1][5]; got != `'=HYPERLINK("x")` {
		t.Errorf("display name cell %q, want the formula defused", got)
	}
	if got, want := recs[1][10], `displayName: "Bob" → "Robert"; title: (none) → [REDACTED]`; got != want {
		t.Errorf("modified cell %q, want %q", got, want)
	}
	b.Reset()
	if err := writeJSONLines(&b, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var e druvascim.Entry
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &e) != nil || e.ChangeID != "c-2" {
		t.Fatalf("JSON lines %q", lines)
	}
}
