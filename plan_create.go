package druvascim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// The create rule: an in-scope object that matched no target user is
// created, unless
//   - a required attribute has no value (MandatoryFieldsMissing);
//   - another object of this plan would create a user with one of the same
//     matching values (DuplicateSourceEntries: the first in id order wins);
//   - creating is turned off (ActionNotAllowed);
//   - an earlier failure to create it waits for its retry time (Escrowed).

func (r *planRun) planCreate(d *Desired, op Operation) (Operation, error) {
	if d.Resource == nil {
		op.Action, op.Reason = ActionSkip, ReasonMandatoryFieldsMissing
		op.Detail += "no create form was mapped for the object"
		return op, nil
	}
	missing, err := r.missing(d)
	if err != nil {
		return op, err
	}
	if len(missing) > 0 {
		op.Action, op.Reason = ActionSkip, ReasonMandatoryFieldsMissing
		op.Detail += "required attribute(s) without a value: " + strings.Join(missing, ", ")
		return op, nil
	}
	other, k, err := r.createdBy(d)
	if err != nil {
		return op, err
	}
	if other != "" {
		op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
		op.Detail += fmt.Sprintf("source object %s would create a user with the same %s = %q", other, k.Path, k.Value)
		return op, nil
	}
	if r.cfg.noCreate {
		op.Action, op.Reason = ActionSkip, ReasonActionNotAllowed
		op.Detail += "creating users is turned off"
		return op, nil
	}
	if esc, why := r.escrowed(d.SourceID); esc {
		op.Action, op.Reason = ActionSkip, ReasonEscrowed
		op.Detail += why
		return op, nil
	}
	for _, k := range d.Keys {
		ck, _ := r.createKey(k) // compiled by createdBy
		r.creates[ck] = d.SourceID
	}
	op.Action = ActionCreate
	op.Resource, op.Keys, op.Update, op.Redacted = d.Resource, d.Keys, d.Update, d.Redacted
	for _, k := range d.Keys {
		op.Detail += fmt.Sprintf("no target user has %s = %q. ", k.Path, k.Value)
	}
	op.Detail = strings.TrimSpace(op.Detail)
	return op, nil
}

// missing returns the required attributes the object's create form lacks.
func (r *planRun) missing(d *Desired) ([]string, error) {
	missing := slices.Clone(d.Missing)
	for _, p := range r.cfg.required {
		ap, err := r.path(p)
		if err != nil {
			return nil, err
		}
		if v, ok := ap.get(d.Resource); (!ok || !hasValue(v)) && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// createdBy returns the object already creating a user with one of d's
// matching values, and that value.
func (r *planRun) createdBy(d *Desired) (string, mapping.MatchKey, error) {
	for _, k := range d.Keys {
		ck, err := r.createKey(k)
		if err != nil {
			return "", k, err
		}
		if other, ok := r.creates[ck]; ok {
			return other, k, nil
		}
	}
	return "", mapping.MatchKey{}, nil
}

// createKey is a matching value as the users created by one plan are told
// apart: the path and the normalised value.
func (r *planRun) createKey(k mapping.MatchKey) (string, error) {
	ap, err := r.path(k.Path)
	if err != nil {
		return "", err
	}
	return k.Path + "\x00" + ap.norm(k.Value), nil
}

// hasValue reports whether a required attribute's value counts as present:
// not null, not an empty string, and for a multi-valued attribute at least
// one element with a value.
func hasValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if val, ok := scim.Resource(m).Get("value"); ok {
					if hasValue(val) {
						return true
					}
					continue
				}
			}
			if hasValue(e) {
				return true
			}
		}
		return false
	case map[string]any:
		return len(x) > 0
	}
	return true
}
