package druvascim

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"sync"

	"github.com/druvascim/druvascim/mapping"
)

// Prepare scopes and maps source objects through set, in parallel for large
// inputs: one [Desired] per object, in the order given. Each object must
// carry its ID; SoftDeleted, HardDeleted and Reason give the source's
// verdict, which the mappings can read as objectId, IsSoftDeleted,
// IsHardDeleted and scopeReason. The scoping filter of set decides
// OutOfScope. An object whose mappings fail to evaluate is kept,
// with the failure in Desired.MapError, so that the planner reports it (and
// can still disable it if it left the scope); a malformed object (no id)
// or an invalid set is an error.
func Prepare(ctx context.Context, set *mapping.Set, objects []Object, opts ...mapping.EvalOption) ([]Desired, error) {
	if set == nil {
		return nil, fmt.Errorf("druvascim: prepare: nil mapping set")
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("druvascim: prepare: %w", err)
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
			for i := lo; i < hi; i++ {
				if i%4096 == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
				}
				d, err := prepareOne(ctx, set, i, objects[i], opts)
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

// Attributes a mapping may read that come from the object's id and scope
// rather than from its attributes, as in Entra's expressions.
const (
	attrObjectID    = "objectId"
	attrSoftDeleted = "IsSoftDeleted"
	attrHardDeleted = "IsHardDeleted"
	attrScopeReason = "scopeReason"
)

// evalAttributes returns the attributes the mappings of obj read: a copy of
// its attributes plus objectId, IsSoftDeleted, IsHardDeleted and
// scopeReason.
func evalAttributes(obj Object) mapping.Attributes {
	attrs := make(mapping.Attributes, len(obj.Attributes)+4)
	maps.Copy(attrs, obj.Attributes)
	attrs[attrObjectID] = obj.ID
	attrs[attrSoftDeleted] = obj.SoftDeleted
	attrs[attrHardDeleted] = obj.HardDeleted
	attrs[attrScopeReason] = string(obj.Reason)
	return attrs
}

func prepareOne(ctx context.Context, set *mapping.Set, i int, obj Object, opts []mapping.EvalOption) (Desired, error) {
	var d Desired
	if obj.ID == "" {
		return d, fmt.Errorf("druvascim: prepare: source object #%d has no ID (%w)", i, ErrIncompleteSource)
	}
	d.SourceID = obj.ID
	d.SoftDeleted, d.HardDeleted, d.ScopeReason = obj.SoftDeleted, obj.HardDeleted, string(obj.Reason)
	attrs := evalAttributes(obj)
	in, err := set.InScope(attrs)
	if err != nil {
		return d, fmt.Errorf("druvascim: prepare: source object %s: scoping filter: %w", obj.ID, err)
	}
	d.OutOfScope = !in
	m, err := set.Map(ctx, attrs, opts...)
	if err != nil {
		d.MapError = err.Error()
	} else {
		d.Resource = m.Resource
		d.Missing = m.Missing
		d.Redacted = m.Redacted
		d.Update = m.Update
		d.Keys = m.Keys
	}
	if s, ok := d.Resource["displayName"].(string); ok && s != "" {
		d.DisplayName = s
	} else if s, ok := obj.Attributes["displayName"].(string); ok {
		d.DisplayName = s
	}
	return d, nil
}
