package druvascim

import (
	"strings"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// The update rule: a matched, in-scope object gets the minimal PATCH that
// makes its target user hold the values the mapping applies always (and
// re-enables a disabled user), unless
//   - nothing differs (Unchanged);
//   - updating is turned off (ActionNotAllowed, with the changes listed);
//   - an earlier failure waits for its retry time (Escrowed).

func (r *planRun) planUpdate(d *Desired, op Operation, cur scim.Resource, pc *pathCache) (Operation, error) {
	update := d.Update
	if len(d.FillEmpty) > 0 {
		// A None mapping's default fills the attribute only where the
		// target user has no value.
		update = mapping.Mapped{Update: d.Update, FillEmpty: d.FillEmpty}.Updates(cur)
	}
	patch, changes := diffUpdateCached(r.paths, pc, update, cur)
	if len(patch) == 0 {
		op.Action, op.Reason = ActionSkip, ReasonUnchanged
		return op, nil
	}
	if r.cfg.noUpdate {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail += "updating users is turned off"
		op.Changes = changes
		return op, nil
	}
	if esc, why := r.escrowed(d.SourceID); esc {
		op.Action, op.Reason = ActionSkip, ReasonEscrowed
		op.Detail += why
		op.Link = false
		return op, nil
	}
	if active, present := cur.Active(); present && !active {
		op.Reason = ReasonReenable
	}
	op.Action, op.Patch, op.Changes = ActionUpdate, patch, changes
	op.Detail = strings.TrimSpace(op.Detail)
	return op, nil
}

// diffUpdate is the attribute diff: the assignments whose current value
// differs (see equalValue), as PATCH operations and as the changes a report
// shows, secrets masked; plus re-enabling a disabled user when the mapping
// does not set active itself. An update never clears an attribute. Apply
// uses it too, when it adopts a user after a conflict.
func diffUpdate(paths map[string]*attrPath, update []assignment, cur scim.Resource) ([]scim.PatchOperation, []PropertyChange) {
	return diffUpdateCached(paths, nil, update, cur)
}

// pathCache remembers the compiled paths of the last update list seen by
// one goroutine: mapping sets give every object the same path strings, so
// a pointer-equal string comparison replaces a map lookup.
type pathCache struct {
	paths []string
	aps   []*attrPath
}

func (c *pathCache) get(paths map[string]*attrPath, j int, path string) *attrPath {
	if c == nil {
		return paths[path]
	}
	if j < len(c.paths) && c.paths[j] == path {
		return c.aps[j]
	}
	ap := paths[path]
	for len(c.paths) <= j {
		c.paths, c.aps = append(c.paths, ""), append(c.aps, nil)
	}
	c.paths[j], c.aps[j] = path, ap
	return ap
}

func diffUpdateCached(paths map[string]*attrPath, cache *pathCache, update []assignment, cur scim.Resource) ([]scim.PatchOperation, []PropertyChange) {
	var patch []scim.PatchOperation
	var changes []PropertyChange
	activeMapped := false
	for j, a := range update {
		ap := cache.get(paths, j, a.Path)
		if ap == nil {
			continue
		}
		if ap.active {
			activeMapped = true
		}
		cv, ok := ap.get(cur)
		if ok && equalValue(cv, a.Value) {
			continue
		}
		verb := "replace"
		if !ok {
			verb = "add"
		}
		patch = append(patch, scim.PatchOperation{Op: verb, Path: a.Path, Value: a.Value})
		pc := PropertyChange{Path: a.Path, Old: cv, New: a.Value, Redacted: a.Redacted}
		if a.Redacted {
			pc.Old, pc.New = redactedValue, redactedValue
		}
		changes = append(changes, pc)
	}
	if !activeMapped {
		if active, present := cur.Active(); present && !active {
			patch = append(patch, scim.PatchOperation{Op: "replace", Path: "active", Value: true})
			changes = append(changes, PropertyChange{Path: "active", Old: false, New: true})
		}
	}
	return patch, changes
}
