package druvascim

import (
	"fmt"
	"strings"

	"github.com/druvascim/druvascim/mapping"
)

// The create rule: an in-scope object that matched no target user is
// created, unless
//   - a required attribute of the mapping set has no value
//     (MandatoryFieldsMissing, from Desired.Missing);
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
	if len(d.Missing) > 0 {
		op.Action, op.Reason = ActionSkip, ReasonMandatoryFieldsMissing
		op.Detail += "required attribute(s) without a value: " + strings.Join(d.Missing, ", ")
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
