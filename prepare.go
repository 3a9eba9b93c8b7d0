package druvascim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"

	"github.com/druvascim/druvascim/mapping"
)

// Prepare scopes and maps source objects through set, in parallel for large
// inputs: one [Desired] per object, in the order given. Each object must
// have an ID; its SoftDeleted, HardDeleted and Reason give the source's
// verdict, and the scoping filter of set decides OutOfScope. An object the
// source reports out of scope (SoftDeleted or HardDeleted) is never
// created or updated: only its matching keys are mapped, and its
// DisplayName is the source's. Expressions that read Entra's IsSoftDeleted
// see the object's SoftDeleted, and objectId is the object's ID unless the
// attributes hold it. An object whose mappings fail to evaluate is kept,
// with the failure in Desired.MapError, so that the planner reports it as
// a failure (and can still disable it if it left the scope); an object
// without an ID or an invalid set is an error.
func Prepare(ctx context.Context, set *mapping.Set, objects []Object, opts ...mapping.EvalOption) ([]Desired, error) {
	if set == nil {
		return nil, errors.New("druvascim: prepare: nil mapping set")
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("druvascim: prepare: %w", err)
	}
	reads := set.SourceAttributes()
	var facts factKeys
	for _, a := range reads {
		switch {
		case strings.EqualFold(a, attrSoftDeleted):
			facts.softDeleted = true
		case strings.EqualFold(a, attrObjectID):
			facts.objectID = true
		}
	}
	out := make([]Desired, len(objects))
	workers := 1
	if len(objects) >= 2_048 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(objects)/workers, (w+1)*len(objects)/workers
		wg.Go(func() {
			var scratch mapping.Attributes
			for i := lo; i < hi; i++ {
				if i%4096 == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
				}
				d, err := prepareOne(ctx, set, i, &objects[i], facts, &scratch, opts)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = d
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// The expression attributes Prepare supplies from an [Object]'s fields.
const (
	attrSoftDeleted = "IsSoftDeleted"
	attrObjectID    = "objectId"
)

// factKeys says which of the supplied attributes the mapping set reads.
type factKeys struct{ softDeleted, objectID bool }

// attributes returns what the expressions read for obj: its attributes,
// plus the supplied ones the set reads. It copies into scratch (reused by
// one worker) only when something must be added.
func (f factKeys) attributes(obj *Object, scratch *mapping.Attributes) mapping.Attributes {
	attrs := mapping.Attributes(obj.Attributes)
	addSoft := f.softDeleted
	if v, ok := attrs[attrSoftDeleted].(bool); ok && v == obj.SoftDeleted {
		addSoft = false
	}
	_, hasID := attrs[attrObjectID]
	addID := f.objectID && !hasID
	if !addSoft && !addID {
		return attrs
	}
	if *scratch == nil {
		*scratch = make(mapping.Attributes, len(attrs)+2)
	}
	s := *scratch
	fill := func() {
		maps.Copy(s, attrs)
		if addSoft {
			s[attrSoftDeleted] = obj.SoftDeleted
		}
		if addID {
			s[attrObjectID] = obj.ID
		}
	}
	// Objects of one read mostly share their attribute names: overwrite the
	// last object's values, and start afresh only when a name of it is left
	// over (then s holds more names than attrs plus the added ones).
	fill()
	want := len(attrs)
	if _, ok := attrs[attrSoftDeleted]; addSoft && !ok {
		want++
	}
	if addID {
		want++
	}
	if len(s) != want {
		clear(s)
		fill()
	}
	return s
}

func prepareOne(ctx context.Context, set *mapping.Set, i int, obj *Object, facts factKeys, scratch *mapping.Attributes, opts []mapping.EvalOption) (Desired, error) {
	if obj.ID == "" {
		return Desired{}, fmt.Errorf("druvascim: prepare: source object #%d has no id (%w)", i, ErrIncompleteSource)
	}
	d := Desired{SourceID: obj.ID, SoftDeleted: obj.SoftDeleted, HardDeleted: obj.HardDeleted, ScopeReason: obj.Reason}
	attrs := facts.attributes(obj, scratch)
	in, err := set.InScope(attrs)
	var scopeErr *mapping.ScopeError
	if errors.As(err, &scopeErr) {
		// One object's value defeated a clause (a regex timeout): that
		// object fails, in scope so that it is never disabled for it.
		d.MapError = err.Error()
		d.DisplayName, _ = obj.Attributes["displayName"].(string)
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("druvascim: prepare: source object %s: scoping filter: %w", obj.ID, err)
	}
	d.OutOfScope = !in
	if obj.SoftDeleted || obj.HardDeleted {
		// The source says the object is out of scope: it is never created
		// or updated, only matched, and disabled or deleted when linked.
		// Its matching keys are all of its mapping it needs.
		if d.Keys, err = set.MatchKeys(ctx, attrs, opts...); err != nil {
			d.MapError = err.Error()
		}
		d.DisplayName, _ = obj.Attributes["displayName"].(string)
		return d, nil
	}
	m, err := set.Map(ctx, attrs, opts...)
	if err != nil {
		d.MapError = err.Error()
	} else {
		d.Resource = m.Resource
		d.Missing = m.Missing
		d.Redacted = m.Redacted
		d.Update = m.Update
		d.FillEmpty = m.FillEmpty
		d.Keys = m.Keys
	}
	if s, ok := d.Resource["displayName"].(string); ok && s != "" {
		d.DisplayName = s
	} else if s, ok := obj.Attributes["displayName"].(string); ok {
		d.DisplayName = s
	}
	return d, nil
}
