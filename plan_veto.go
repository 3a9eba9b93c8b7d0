package druvascim

import (
	"slices"
	"strings"
	"time"
)

// noteVetoes records in st the objects whose write a hook or plan policy
// vetoed in p, and forgets those p planned otherwise (the write runs, or is
// no longer wanted). A cycle that starts with vetoed objects reads the whole
// source, so they are planned again although the source did not change.
// After a full read, an object the source no longer returns is forgotten.
func noteVetoes(st *State, p *Plan, now time.Time) {
	if p.Full {
		for id := range st.Vetoed {
			_, planned := slices.BinarySearchFunc(p.Operations, id, func(op Operation, id string) int {
				return strings.Compare(op.SourceID, id)
			})
			if !planned {
				delete(st.Vetoed, id)
			}
		}
	}
	for i := range p.Operations {
		op := &p.Operations[i]
		if op.Reason != ReasonVetoed {
			if len(st.Vetoed) > 0 {
				delete(st.Vetoed, op.SourceID)
			}
			continue
		}
		if st.Vetoed == nil {
			st.Vetoed = map[string]time.Time{}
		}
		if _, ok := st.Vetoed[op.SourceID]; !ok {
			st.Vetoed[op.SourceID] = now
		}
	}
}
