package druvascim

import (
	"fmt"
	"strconv"
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
	// The create keys are computed once: to look for an earlier object
	// creating the same user, then to claim them.
	var buf [4]string
	keys := buf[:0]
	for _, k := range d.Keys {
		ck, err := r.createKey(k)
		if err != nil {
			return op, err
		}
		if other, ok := r.creates[ck]; ok {
			op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
			op.Detail += fmt.Sprintf("source object %s would create a user with the same %s = %q", other, k.Path, k.Value)
			return op, nil
		}
		keys = append(keys, ck)
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
	for _, ck := range keys {
		r.creates[ck] = d.SourceID
	}
	op.Action = ActionCreate
	op.Resource, op.Keys, op.Update, op.Redacted = d.Resource, d.Keys, d.Update, d.Redacted
	op.Detail = createDetail(op.Detail, d.Keys)
	return op, nil
}

// createDetail is a create's detail: what came before, then that no
// target user holds any of its matching values.
func createDetail(before string, keys []mapping.MatchKey) string {
	const lead = "no target user has "
	n := len(before)
	for _, k := range keys {
		n += len(lead) + len(k.Path) + len(" = ") + len(k.Value) + len(`"".`) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(before)
	var quoted [128]byte
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lead)
		b.WriteString(k.Path)
		b.WriteString(" = ")
		b.Write(strconv.AppendQuote(quoted[:0], k.Value))
		b.WriteByte('.')
	}
	return strings.TrimSpace(b.String())
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
