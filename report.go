package druvascim

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Step is one stage of provisioning an object, as in Entra's provisioning log
// ("Import", "Scope", "Match", "Action").
type Step struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Step names.
const (
	StepImport = "Import"
	StepScope  = "Scope"
	StepMatch  = "Match"
	StepAction = "Action"
)

// PropertyChange is one modified property: its old and new values as
// rendered text. Values of redacted mappings are masked.
type PropertyChange struct {
	Path     string `json:"path"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Redacted bool   `json:"redacted,omitempty"`
}

// Entry is one provisioning-log entry: one object in one cycle.
type Entry struct {
	// ChangeID is unique per entry: the cycle id and a sequence number.
	ChangeID string `json:"changeId"`
	// CycleID identifies the cycle.
	CycleID     string    `json:"cycleId"`
	Time        time.Time `json:"time"`
	SourceID    string    `json:"sourceId,omitempty"`
	TargetID    string    `json:"targetId,omitempty"`
	DisplayName string    `json:"displayName,omitempty"`
	Action      Action    `json:"action"`
	Status      Status    `json:"status"`
	// Reason is the skip reason, or why a disable or delete happened.
	Reason Reason `json:"reason,omitempty"`
	Steps  []Step `json:"steps,omitempty"`
	// Modified lists the properties changed (or that would change).
	Modified []PropertyChange `json:"modified,omitempty"`
	// ErrorCode is set on failures and warnings (Entra's codes where they
	// exist, see [Reason]); Message says what to do about it.
	ErrorCode Reason `json:"errorCode,omitempty"`
	Message   string `json:"message,omitempty"`
	// Detail holds the target's error text, if any.
	Detail string `json:"detail,omitempty"`
}

// Summary counts a cycle's outcome.
type Summary struct {
	CycleID  string    `json:"cycleId"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Full is true when the whole source was read.
	Full bool `json:"full"`
	// DryRun is true when nothing was applied.
	DryRun bool `json:"dryRun,omitempty"`
	// SourceObjects is the number of objects read from the source, and
	// TargetUsers the number of users read from the target.
	SourceObjects int `json:"sourceObjects"`
	TargetUsers   int `json:"targetUsers"`
	// Actions and Statuses count the entries.
	Actions  map[Action]int `json:"actions"`
	Statuses map[Status]int `json:"statuses"`
	// Durations of each phase.
	ReadSource time.Duration `json:"readSourceNs"`
	ReadTarget time.Duration `json:"readTargetNs"`
	Map        time.Duration `json:"mapNs"`
	Plan       time.Duration `json:"planNs"`
	Apply      time.Duration `json:"applyNs"`
	// TargetCalls counts calls made to the Target (each one or more HTTP
	// requests); Requests is the HTTP request count when the caller gave a
	// counter (see [WithRequestCounter]).
	TargetCalls int64 `json:"targetCalls"`
	Requests    int64 `json:"requests,omitempty"`
	// Held is set when a safety rule held the plan.
	Held *Hold `json:"held,omitempty"`
	// Quarantined is set when the cycle stopped early; QuarantineReason
	// says why.
	Quarantined      bool   `json:"quarantined,omitempty"`
	QuarantineReason string `json:"quarantineReason,omitempty"`
	// Canceled is set when the context ended the cycle early.
	Canceled bool `json:"canceled,omitempty"`
}

// Report is the provisioning log of one cycle and its summary.
type Report struct {
	Summary Summary `json:"summary"`
	Entries []Entry `json:"entries"`
}

// Failed returns the entries whose status is Failure.
func (r *Report) Failed() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.Status == StatusFailure {
			out = append(out, e)
		}
	}
	return out
}

func (r *Report) count() {
	r.Summary.Actions = map[Action]int{}
	r.Summary.Statuses = map[Status]int{}
	for i := range r.Entries {
		r.Summary.Actions[r.Entries[i].Action]++
		r.Summary.Statuses[r.Entries[i].Status]++
	}
}

// WriteJSONLines writes one JSON object per entry, one per line.
func (r *Report) WriteJSONLines(w io.Writer) error {
	enc := json.NewEncoder(w)
	for i := range r.Entries {
		if err := enc.Encode(&r.Entries[i]); err != nil {
			return fmt.Errorf("druvascim: write report: %w", err)
		}
	}
	return nil
}

// CSVHeader returns the header row [Report.WriteCSV] writes.
func CSVHeader() []string {
	return []string{"changeId", "cycleId", "time", "sourceId", "targetId", "displayName",
		"action", "status", "reason", "steps", "modified", "errorCode", "message", "detail"}
}

// WriteCSV writes the entries as CSV with the [CSVHeader] columns; steps and
// modified properties are joined into one cell each.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("druvascim: write report: %w", err)
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
			mods[i] = m.Path + ": " + m.Old + " → " + m.New
		}
		rec := []string{e.ChangeID, e.CycleID, e.Time.UTC().Format(time.RFC3339Nano), csvSafe(e.SourceID), csvSafe(e.TargetID),
			csvSafe(e.DisplayName), string(e.Action), string(e.Status), string(e.Reason), csvSafe(strings.Join(steps, "; ")),
			csvSafe(strings.Join(mods, "; ")), string(e.ErrorCode), csvSafe(e.Message), csvSafe(e.Detail)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("druvascim: write report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("druvascim: write report: %w", err)
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

// WriteSummary writes a short table of the summary for people.
func (r *Report) WriteSummary(w io.Writer) error {
	s := r.Summary
	kind := "incremental"
	if s.Full {
		kind = "full"
	}
	if s.DryRun {
		kind += ", dry run"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cycle %s (%s): %d source objects, %d target users\n", s.CycleID, kind, s.SourceObjects, s.TargetUsers)
	actions := slices.Sorted(func(yield func(Action) bool) {
		for a := range s.Actions {
			if !yield(a) {
				return
			}
		}
	})
	for _, a := range actions {
		fmt.Fprintf(&b, "  %-13s %d\n", a, s.Actions[a])
	}
	for _, st := range []Status{StatusSuccess, StatusFailure, StatusSkipped, StatusWarning} {
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
	if s.Held != nil {
		fmt.Fprintf(&b, "  HELD: %s\n", s.Held.Message)
	}
	if s.Quarantined {
		fmt.Fprintf(&b, "  QUARANTINED: %s\n", s.QuarantineReason)
	}
	if s.Canceled {
		b.WriteString("  CANCELED before the cycle finished\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Progress reports how far a long phase has got.
type Progress struct {
	// Phase is "read source", "read target", "map", "plan" or "apply".
	Phase string
	// Done counts the items handled so far; Total is 0 when unknown.
	Done, Total int
}

// ProgressFunc receives progress reports. It is called from the goroutine
// doing the work (possibly several), so it must be quick and safe for
// concurrent use.
type ProgressFunc func(Progress)

// advice is the sentence a person can act on, per error code.
func advice(code Reason) string {
	switch code {
	case ReasonMissingMatchingValue:
		return "Give the source object a value for at least one matching attribute, or change the matching attributes."
	case ReasonMappingFailed:
		return "An attribute mapping failed for this object: fix the expression or the source value named in the detail."
	case ReasonMandatoryFieldsMissing:
		return "Druva requires userName, displayName and an email: fill the missing source attribute or map a default."
	case ReasonDuplicateTargetEntries:
		return "More than one Druva user has this matching value: remove the duplicate in Druva or use a unique matching attribute."
	case ReasonDuplicateSourceEntries:
		return "Two source objects map to the same Druva user: make the matching attribute unique in the source."
	case ReasonEscrowed:
		return "An earlier attempt failed; it is retried automatically at the time shown."
	case ReasonNotManaged:
		return "The Druva user was not created or matched by this sync, so it is left alone; disable it in Druva if that is intended."
	case ReasonConflict:
		return "Druva holds a user with the same userName or email that could not be adopted: remove the conflict or fix the matching attributes."
	case ReasonInvalidAnchor:
		return "The linked Druva user no longer exists; the link was dropped and the user is matched again next cycle."
	case ReasonUnauthorized:
		return "Druva rejected the token: generate a new one in the Druva console (tokens last 365 days, regenerating revokes the old one) and update the configuration."
	case ReasonTooManyRequests:
		return "Druva kept throttling; the operation is retried next cycle. Lower the request rate if this persists."
	case ReasonServerError:
		return "Druva or the network failed; the operation is retried next cycle."
	case ReasonBadRequest:
		return "Druva refused the request as invalid: check the mapped values (and Druva's SCIM mappings, which decide the profile on create)."
	case ReasonCanceled:
		return "The cycle was stopped before this operation ran; it runs next cycle."
	case ReasonHeld:
		return "A safety rule held this cycle: review the plan, then approve it or fix the source."
	}
	return ""
}
