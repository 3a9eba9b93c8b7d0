package service

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/logstore"
)

// logWrite bounds a log write made after the cycle's context ended, so a
// cycle canceled at shutdown is still recorded.
const logWrite = 10 * time.Second

// beginLog records a running cycle; 0 when there is no log or it failed
// (logged: a log that cannot be written never stops a cycle).
func (t *tenant) beginLog(ctx context.Context, kind logstore.CycleKind, started time.Time) int64 {
	if t.log == nil {
		return 0
	}
	id, err := t.log.BeginCycle(ctx, logstore.CycleStart{Tenant: t.spec.Name, Kind: kind, Started: started})
	if err != nil {
		t.svc.logWarn("service: record the cycle's start in the provisioning log", "tenant", t.spec.Name, "error", err)
		return 0
	}
	return id
}

// endLog writes the cycle's entries in one transaction and ends it.
func (t *tenant) endLog(ctx context.Context, id int64, o outcome) {
	if id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logWrite)
	defer cancel()
	end := logstore.CycleEnd{Ended: o.ended, Outcome: logstore.OutcomeSucceeded, DruvaRequests: o.druva, GraphRequests: o.graph}
	if o.res != nil && o.res.Report != nil {
		rep := o.res.Report
		if entries := logEntries(rep); len(entries) > 0 {
			if err := t.log.AddEntries(ctx, id, entries); err != nil {
				t.svc.logWarn("service: write the cycle's entries to the provisioning log", "tenant", t.spec.Name, "error", err)
			}
		}
		end.Actions, end.Statuses = stringCounts(rep.Summary.Actions), stringCounts(rep.Summary.Statuses)
		if end.DruvaRequests == 0 {
			end.DruvaRequests = max(rep.Summary.Requests, rep.Summary.TargetCalls)
		}
	}
	switch {
	case o.err == nil || isHeld(o.err):
	case errors.Is(o.err, context.Canceled):
		end.Outcome, end.Error = logstore.OutcomeInterrupted, "the service stopped during the cycle"
	default:
		end.Outcome, end.Error = logstore.OutcomeFailed, o.err.Error()
	}
	if err := t.log.EndCycle(ctx, id, end); err != nil {
		t.svc.logWarn("service: record the cycle's end in the provisioning log", "tenant", t.spec.Name, "error", err)
	}
}

func stringCounts[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range maps.All(m) {
		out[string(k)] = v
	}
	return out
}

// logEntries maps a report's entries to log entries, leaving out the
// objects that needed nothing (Entra's provisioning log lists no
// "unchanged" entry). Redacted properties keep no value.
func logEntries(rep *druvascim.Report) []logstore.Entry {
	out := make([]logstore.Entry, 0, len(rep.Entries))
	for _, e := range rep.Entries {
		if e.Action == druvascim.ActionSkip && e.Reason == druvascim.ReasonUnchanged {
			continue
		}
		le := logstore.Entry{Time: e.Time, ChangeID: e.ChangeID, SourceID: e.SourceID, DruvaID: e.TargetID,
			DisplayName: e.DisplayName, Action: string(e.Action), Status: string(e.Status), Reason: string(e.Reason),
			ErrorCode: string(e.ErrorCode), Message: e.Message, Detail: e.Detail}
		for _, s := range e.Steps {
			le.Steps = append(le.Steps, logstore.Step{Name: s.Name, Status: string(s.Status), Detail: s.Detail})
		}
		for _, m := range e.Modified {
			pc := logstore.PropertyChange{Path: m.Path, Redacted: m.Redacted}
			if !m.Redacted {
				pc.Old, pc.New = m.Old, m.New
				if strings.EqualFold(m.Path, "userName") {
					le.UserName = jsonText(m.New)
				}
			}
			le.Modified = append(le.Modified, pc)
		}
		out = append(out, le)
	}
	return out
}

// jsonText returns the string a JSON string literal holds, or "" for
// anything else.
func jsonText(s string) string {
	var v string
	if json.Unmarshal([]byte(s), &v) != nil {
		return ""
	}
	return v
}
