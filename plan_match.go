package druvascim

import (
	"github.com/druvascim/druvascim/mapping"

	"context"
	"fmt"

	"strings"
	"unicode/utf8"

	"github.com/druvascim/druvascim/internal/join"
	"golang.org/x/text/unicode/norm"
)

// The matching rule: which target user is a source object's?
//
//  1. The stored link, when its target user still exists. A link whose user
//     is gone is dropped, and the object is matched again by value.
//  2. Else the matching attributes in precedence order (Desired.Keys): the
//     first attribute whose value one target user holds wins. Values are
//     compared in Unicode NFC, and case-insensitively unless the attribute
//     is case-exact (id, externalId).
//  3. A value two target users hold is ambiguous: the object is skipped
//     (DuplicateTargetEntries) rather than guessed.
//  4. A target user belongs to one source object: a user already linked to
//     another object, or matched by value by an object earlier in id order,
//     is not matched again (DuplicateSourceEntries).

// match finds the target user of an object and returns its index. When
// found, op has TargetID and MatchedBy set (and Link for a match by value);
// when the object must be skipped, op is a Skip with its reason.
func (r *planRun) match(d *Desired, l link, op *Operation) (i int, found bool, err error) {
	switch l.status {
	case join.Linked:
		op.TargetID, op.MatchedBy = r.ids[l.target], "link"
		return l.target, true, r.checkOwner(d, l.target, op)
	case join.Stale:
		op.DropLink = true
		op.Detail = fmt.Sprintf("the linked user %s no longer exists in the target; link dropped. ", r.state.Links[d.SourceID])
	}
	for _, k := range d.Keys {
		if k.Value == "" {
			continue
		}
		i, hits, err := r.lookup(d, k)
		switch {
		case err != nil:
			return 0, false, err
		case hits == 0:
			continue
		case hits > 1:
			op.Action, op.Reason = ActionSkip, ReasonDuplicateTargetEntries
			op.Detail += fmt.Sprintf("more than one target user has %s = %q", k.Path, k.Value)
			return 0, false, nil
		}
		op.TargetID, op.MatchedBy = r.ids[i], k.Path
		if err := r.checkOwner(d, i, op); err != nil || op.Action == ActionSkip {
			return i, false, err
		}
		r.claimed[i] = d.SourceID
		op.Link = true
		return i, true, nil
	}
	return 0, false, nil
}

// checkOwner makes op a Skip when target user i belongs to another object.
func (r *planRun) checkOwner(d *Desired, i int, op *Operation) error {
	if owner := r.links.Owner(i); owner != "" && owner != d.SourceID {
		op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
		op.Detail += fmt.Sprintf("target user %s (matched by %s) is already linked to source object %s", op.TargetID, op.MatchedBy, owner)
		return nil
	}
	if other, ok := r.claimed[i]; ok {
		op.Action, op.Reason = ActionSkip, ReasonDuplicateSourceEntries
		op.Detail += fmt.Sprintf("target user %s (matched by %s) is also matched by source object %s", op.TargetID, op.MatchedBy, other)
	}
	return nil
}

// lookup returns the target user holding an object's matching value and
// how many do (0, 1, or 2 for more than one).
func (r *planRun) lookup(d *Desired, k mapping.MatchKey) (i, hits int, err error) {
	ix, ap, err := r.index(k.Path)
	if err != nil {
		return 0, 0, fmt.Errorf("druvascim: plan: matching attribute of %s: %w", d.SourceID, err)
	}
	i, hits = ix.Lookup(ap.norm(k.Value))
	return i, hits, nil
}

// norm returns the form in which matching values are compared: Unicode NFC
// (a name typed as "é" and one stored as "e" + combining accent are one
// name), lower-cased unless the attribute is case-exact.
func (p *attrPath) norm(v string) string {
	if !isASCII(v) { // ASCII text is in NFC already
		v = norm.NFC.String(v)
	}
	if p.caseExact {
		return v
	}
	return strings.ToLower(v)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// collectWanted gathers the matching values of the objects without a live
// link: only those are looked up, so only those need indexing.
func (r *planRun) collectWanted() error {
	type part struct {
		wanted map[string]map[string]struct{}
		paths  map[string]*attrPath
	}
	parts := make([]part, r.workers)
	errs := make([]error, r.workers)
	err := r.chunks(len(r.order), func(c, lo, hi int) error {
		pt := part{wanted: map[string]map[string]struct{}{}, paths: map[string]*attrPath{}}
		for n := lo; n < hi && errs[c] == nil; n++ {
			if r.linkOf(n).status != join.Linked {
				errs[c] = wantValues(pt.wanted, pt.paths, r.desired(n))
			}
		}
		parts[c] = pt
		return errs[c]
	})
	if err := firstError(errs, err); err != nil {
		return err
	}
	r.wanted = map[string]map[string]struct{}{}
	for _, pt := range parts {
		for p, ap := range pt.paths {
			r.paths[p] = ap
		}
		for p, vals := range pt.wanted {
			if r.wanted[p] == nil {
				r.wanted[p] = vals
				continue
			}
			for v := range vals {
				r.wanted[p][v] = struct{}{}
			}
		}
	}
	return nil
}

// wantValues records the matching values of one object in wanted.
func wantValues(wanted map[string]map[string]struct{}, paths map[string]*attrPath, d *Desired) error {
	for _, k := range d.Keys {
		if k.Value == "" {
			continue
		}
		ap, err := compileInto(paths, k.Path)
		if err != nil {
			return fmt.Errorf("druvascim: plan: matching attribute of %s: %w", d.SourceID, err)
		}
		w := wanted[k.Path]
		if w == nil {
			w = map[string]struct{}{}
			wanted[k.Path] = w
		}
		w[ap.norm(k.Value)] = struct{}{}
	}
	return nil
}

// index returns the index of the target users by one matching path, built
// on first use.
func (r *planRun) index(p string) (*join.Index, *attrPath, error) {
	ap, err := r.path(p)
	if err != nil {
		return nil, nil, err
	}
	if ix, ok := r.indexes[p]; ok {
		return ix, ap, nil
	}
	key := func(i int) (string, bool) {
		v, ok := ap.getString(r.in.Current[i])
		if !ok || v == "" {
			return "", false
		}
		return ap.norm(v), true
	}
	workers := r.workers
	if len(r.in.Current) < parallelFrom && r.cfg.workers == 0 {
		workers = 1
	}
	ix := join.NewIndex(context.Background(), len(r.in.Current), key, r.wanted[p], workers)
	r.indexes[p] = ix
	return ix, ap, nil
}

// path returns the compiled form of an attribute path.
func (r *planRun) path(p string) (*attrPath, error) { return compileInto(r.paths, p) }

// compileInto returns the compiled form of p, compiling it into paths on
// first use.
func compileInto(paths map[string]*attrPath, p string) (*attrPath, error) {
	if ap, ok := paths[p]; ok {
		return ap, nil
	}
	ap, err := compilePath(p)
	if err != nil {
		return nil, err
	}
	paths[p] = &ap
	return &ap, nil
}
