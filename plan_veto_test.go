package druvascim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNoteVetoes(t *testing.T) {
	t1 := t0.Add(time.Hour)
	st := newState()
	st.Vetoed = map[string]time.Time{"s-a": t0, "s-b": t0, "s-gone": t0}
	p := &Plan{Operations: []Operation{
		{SourceID: "s-a", Action: ActionSkip, Reason: ReasonVetoed},
		{SourceID: "s-b", Action: ActionDisable},
		{SourceID: "s-c", Action: ActionSkip, Reason: ReasonVetoed},
	}}
	noteVetoes(st, p, t1)
	want := map[string]time.Time{"s-a": t0, "s-c": t1, "s-gone": t0}
	if d := cmp.Diff(want, st.Vetoed); d != "" {
		t.Fatalf("incremental (-want +got):\n%s", d)
	}
	// A full read that no longer returns s-gone forgets it.
	p.Full = true
	noteVetoes(st, p, t1)
	delete(want, "s-gone")
	if d := cmp.Diff(want, st.Vetoed); d != "" {
		t.Fatalf("full (-want +got):\n%s", d)
	}

	// The file store keeps them.
	fs, err := NewFileStore(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Save(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	got, err := fs.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got.Vetoed); d != "" {
		t.Fatalf("loaded (-want +got):\n%s", d)
	}
}
