package druvascim

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/druvascim/druvascim/mapping"
)

// Prepare scopes and maps source objects through set, in parallel for large
// inputs: one [Desired] per object, in the order given. Each object must
// carry its id under [KeyID]; [KeySoftDeleted], [KeyHardDeleted] and
// [KeyScopeReason] give the source's verdict. The scoping filter of set
// decides OutOfScope. An object whose mappings fail to evaluate is kept,
// with the failure in Desired.MapError, so that the planner reports it (and
// can still disable it if it left the scope); a malformed object (no id, a
// verdict of the wrong type) or an invalid set is an error.
func Prepare(ctx context.Context, set *mapping.Set, objects []map[string]any, opts ...mapping.EvalOption) ([]Desired, error) {
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

func prepareOne(ctx context.Context, set *mapping.Set, i int, obj map[string]any, opts []mapping.EvalOption) (Desired, error) {
	var d Desired
	id, ok := obj[KeyID].(string)
	if !ok || id == "" {
		return d, fmt.Errorf("druvascim: prepare: source object #%d has no %s (%w)", i, KeyID, ErrIncompleteSource)
	}
	d.SourceID = id
	var err error
	if d.SoftDeleted, err = boolKey(obj, id, KeySoftDeleted); err != nil {
		return d, err
	}
	if d.HardDeleted, err = boolKey(obj, id, KeyHardDeleted); err != nil {
		return d, err
	}
	if v, present := obj[KeyScopeReason]; present && v != nil {
		s, ok := v.(string)
		if !ok {
			return d, fmt.Errorf("druvascim: prepare: source object %s: %s is %T, want string", id, KeyScopeReason, v)
		}
		d.ScopeReason = s
	}
	attrs := mapping.Attributes(obj)
	in, err := set.InScope(attrs)
	var scopeErr *mapping.ScopeError
	if errors.As(err, &scopeErr) {
		// One object's value defeated a clause (a regex timeout): that
		// object fails, in scope so that it is never disabled for it.
		d.MapError = err.Error()
		d.DisplayName, _ = obj["displayName"].(string)
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("druvascim: prepare: source object %s: scoping filter: %w", id, err)
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
		d.FillEmpty = m.FillEmpty
		d.Keys = m.Keys
	}
	if s, ok := d.Resource["displayName"].(string); ok && s != "" {
		d.DisplayName = s
	} else if s, ok := obj["displayName"].(string); ok {
		d.DisplayName = s
	}
	return d, nil
}

func boolKey(obj map[string]any, id, key string) (bool, error) {
	v, present := obj[key]
	if !present || v == nil {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("druvascim: prepare: source object %s: %s is %T, want bool", id, key, v)
	}
	return b, nil
}
