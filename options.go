package druvascim

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/druvascim/druvascim/mapping"
)

// Option configures [NewPlanner], [Apply] or [NewSyncer]. Each option says
// which of them it applies to; a constructor given an option that does not
// apply to it returns an error naming the option. [NewSyncer] takes every
// option: the planning ones configure its default planner, the applying ones
// its executor, and the clock, logger and progress options both.
//
// The planning options ([WithPolicy], [WithHook], [WithPlanPolicy]) apply to NewPlanner and NewSyncer; the applying options
// ([WithConcurrency]) to Apply and NewSyncer; [WithClock], [WithLogger] and [WithProgress] to Apply and
// NewSyncer; [WithPlanner], [WithEvalOptions] and [WithFullRead] to NewSyncer only. The zero Option is invalid.
type Option struct {
	name string
	plan func(*planConfig) error
	exec func(*execConfig) error
	sync func(*syncConfig) error
}

// configure runs each option's part for one constructor: plan, exec or sync
// picks that part. An option without one is an error naming it and the
// constructor.
func configure[C any](who string, opts []Option, part func(Option) func(*C) error, c *C) error {
	for _, o := range opts {
		f := part(o)
		if o.name == "" {
			return fmt.Errorf("druvascim: %s: zero Option; build options with the With functions", who)
		}
		if f == nil {
			return fmt.Errorf("druvascim: %s: option %s does not apply here (%s)", who, o.name, o.appliesTo())
		}
		if err := f(c); err != nil {
			return fmt.Errorf("druvascim: %s: %s: %w", who, o.name, err)
		}
	}
	return nil
}

// appliesTo lists the constructors the option applies to.
func (o Option) appliesTo() string {
	var to []string
	if o.plan != nil {
		to = append(to, "NewPlanner")
	}
	if o.exec != nil {
		to = append(to, "Apply")
	}
	to = append(to, "NewSyncer")
	return "it applies to " + strings.Join(to, ", ")
}

func planOpt(name string, f func(*planConfig) error) Option { return Option{name: name, plan: f} }
func execOpt(name string, f func(*execConfig) error) Option { return Option{name: name, exec: f} }
func syncOpt(name string, f func(*syncConfig) error) Option { return Option{name: name, sync: f} }

// Planning options.

// defaultDeletionThreshold is the default of [Policy].DeletionThreshold.
const defaultDeletionThreshold = 500

// Policy holds the planner's settings, as Entra's provisioning settings
// name them. Its zero value is Entra's default behaviour: every target
// object action on (but users hard-deleted in the source are disabled, not
// deleted), accidental-deletion prevention at 500, a hold when the source
// shrinks by more than half, out-of-scope users deprovisioned.
type Policy struct {
	// NoCreates and NoUpdates turn Entra's Create and Update target object
	// actions off: objects that would be created, or updated (re-enabling
	// included), are skipped with [ReasonActionNotAllowed].
	NoCreates, NoUpdates bool
	// NoDeletes turns Entra's Delete target object action off: linked users
	// whose objects leave the scope or are deleted in the source are
	// neither disabled nor deleted (skipped with [ReasonActionNotAllowed]).
	// A user whose account is disabled in the source is still disabled.
	NoDeletes bool
	// Deletes lets the planner DELETE linked users that were hard-deleted in
	// the source; without it they are disabled instead.
	Deletes bool
	// SkipOutOfScopeDeletions leaves linked users alone when they go out of
	// scope or are unassigned (Entra's SkipOutOfScopeDeletions); hard
	// deletes still apply when Deletes allows them.
	SkipOutOfScopeDeletions bool
	// DeletionThreshold holds a plan that would disable plus delete more
	// users than this (Entra's accidental-deletion prevention). 0: the
	// default 500; negative: no limit.
	DeletionThreshold int
	// MaxSourceShrink holds a full-read plan when the number of in-scope
	// source objects fell by more than this fraction since the last full
	// cycle. 0: the default 0.5; negative: no limit; 1 or more is an error.
	MaxSourceShrink float64
	// ApproveHolds approves in advance any hold of the plans made (the
	// equivalent of [Plan].Approved); the hold is still recorded in the plan.
	ApproveHolds bool
	// HoldEverything makes a safety rule hold the whole plan, as Entra's
	// accidental-deletion prevention quarantines the whole job. Without it
	// only the disables and deletes are held, and the creates and updates
	// of the same cycle are applied.
	HoldEverything bool
}

// WithPolicy sets the planner's settings (see [Policy]; the zero Policy is
// the default).
func WithPolicy(p Policy) Option {
	return planOpt("WithPolicy", func(c *planConfig) error {
		if p.MaxSourceShrink != p.MaxSourceShrink || p.MaxSourceShrink >= 1 {
			return fmt.Errorf("MaxSourceShrink %v: must be a fraction below 1 (0: the default 0.5; negative: no limit)", p.MaxSourceShrink)
		}
		c.noCreate, c.noUpdate, c.noDelete, c.deletes = p.NoCreates, p.NoUpdates, p.NoDeletes, p.Deletes
		c.skipOutOfScope, c.approve, c.holdAll = p.SkipOutOfScopeDeletions, p.ApproveHolds, p.HoldEverything
		c.threshold, c.maxShrink = defaultDeletionThreshold, defaultMaxSourceShrink
		switch {
		case p.DeletionThreshold > 0:
			c.threshold = p.DeletionThreshold
		case p.DeletionThreshold < 0:
			c.threshold = 0 // no limit
		}
		switch {
		case p.MaxSourceShrink > 0:
			c.maxShrink = p.MaxSourceShrink
		case p.MaxSourceShrink < 0:
			c.maxShrink = 0 // no limit
		}
		return nil
	})
}

// WithHook installs a hook that inspects each write operation of a plan. It
// returns the operation, possibly rewritten, and false to veto it (it
// becomes a Skip with [ReasonVetoed]) or true to keep it. A hook can never
// turn an operation into a Disable or Delete of a user that is not linked.
// A vetoed object is planned again in later cycles, each of which then
// reads the whole source: a hook that vetoes an object for good makes every
// cycle a full read.
func WithHook(h func(op Operation) (Operation, bool)) Option {
	return planOpt("WithHook", func(c *planConfig) error {
		if h == nil {
			return errors.New("nil hook")
		}
		c.hook = h
		return nil
	})
}

// WithPlanPolicy installs a policy that sees each whole plan after the
// hook, before the safety rules: it may veto operations with [Plan.Veto]
// (for example all disables beyond the first N of a cycle), or return an
// error to refuse the plan. Vetoed objects are planned again in later
// cycles. The policy may not add, remove or reorder operations, and a write
// it leaves that cannot run (such as a disable of a user that is not
// linked) becomes a Skip.
func WithPlanPolicy(policy func(*Plan) error) Option {
	return planOpt("WithPlanPolicy", func(c *planConfig) error {
		if policy == nil {
			return errors.New("nil plan policy")
		}
		c.policy = policy
		return nil
	})
}

// Applying options.

// defaultConcurrency is the default of [WithConcurrency].
const defaultConcurrency = 8

// WithConcurrency sets how many operations run at once, from 1 to 1024
// (default 8).
func WithConcurrency(n int) Option {
	return execOpt("WithConcurrency", func(c *execConfig) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%d: must be between 1 and 1024", n)
		}
		c.concurrency = n
		return nil
	})
}

// Options of applying and of cycles.

// WithClock injects the clock for escrow times, report times and (in a
// [Syncer]) planning. Default time.Now.
func WithClock(now func() time.Time) Option {
	check := func() error {
		if now == nil {
			return errors.New("nil clock")
		}
		return nil
	}
	return Option{name: "WithClock",
		exec: func(c *execConfig) error { c.now = now; return check() },
		sync: func(c *syncConfig) error { c.now = now; return check() }}
}

// WithLogger logs each operation at debug level and failures at warn level;
// a [Syncer] also logs the phases of each cycle at info level.
func WithLogger(l *slog.Logger) Option {
	check := func() error {
		if l == nil {
			return errors.New("nil logger")
		}
		return nil
	}
	return Option{name: "WithLogger",
		exec: func(c *execConfig) error { c.logger = l; return check() },
		sync: func(c *syncConfig) error { c.logger = l; return check() }}
}

// WithProgress reports how far each phase has got (see [Progress]). f is
// called from the goroutines doing the work, so it must be quick and safe
// for concurrent use.
func WithProgress(f func(Progress)) Option {
	check := func() error {
		if f == nil {
			return errors.New("nil progress function")
		}
		return nil
	}
	return Option{name: "WithProgress",
		exec: func(c *execConfig) error { c.progress = f; return check() },
		sync: func(c *syncConfig) error { c.progress = f; return check() }}
}

// Cycle options (NewSyncer only).

// WithPlanner replaces the default planner. The planning options (such as
// [WithPolicy]) configure the default planner, so NewSyncer
// refuses them together with WithPlanner.
func WithPlanner(p Planner) Option {
	return syncOpt("WithPlanner", func(c *syncConfig) error {
		if p == nil {
			return errors.New("nil planner")
		}
		c.planner = p
		return nil
	})
}

// WithEvalOptions passes options to the mapping expressions (such as
// mapping.WithDefaultDomain).
func WithEvalOptions(opts ...mapping.EvalOption) Option {
	return syncOpt("WithEvalOptions", func(c *syncConfig) error { c.evalOpts = append(c.evalOpts, opts...); return nil })
}

// WithFullRead makes every cycle read the whole source, ignoring the stored
// delta link (Entra's "restart provisioning").
func WithFullRead() Option {
	return syncOpt("WithFullRead", func(c *syncConfig) error { c.fullRead = true; return nil })
}
