package service

import (
	"context"
	"time"

	"github.com/druvascim/druvascim/internal/cyclelog"
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
	id, err := cyclelog.Begin(ctx, t.log, t.spec.Name, kind, started)
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
	if err := cyclelog.Finish(ctx, t.log, id, o.report(), o.err, cyclelog.Requests{Druva: o.druva, Graph: o.graph}, o.ended); err != nil {
		t.svc.logWarn("service: record the cycle in the provisioning log", "tenant", t.spec.Name, "error", err)
	}
}
