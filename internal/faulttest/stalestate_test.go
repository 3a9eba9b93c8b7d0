package faulttest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/druvascim/druvascim"
)

// racingStore is the real file store used without its lock; when told to,
// another writer (a second store on the same file) saves just before it.
type racingStore struct {
	druvascim.StateStore
	other druvascim.StateStore
	race  atomic.Bool
}

func (s *racingStore) Save(ctx context.Context, st *druvascim.State) error {
	if s.race.CompareAndSwap(true, false) {
		theirs, err := s.other.Load(ctx)
		if err != nil {
			return err
		}
		if err := s.other.Save(ctx, theirs); err != nil {
			return err
		}
	}
	return s.StateStore.Save(ctx, st)
}

// TestStaleSaveSyncerMovesOn: a cycle whose save is refused because another
// writer saved meanwhile returns ErrStaleState and leaves the other writer's
// state alone; the Syncer's next cycle starts from that state (not from its
// refused one, which could never be saved), re-links every user by its
// matching attributes without creating anyone again, and saves.
func TestStaleSaveSyncerMovesOn(t *testing.T) {
	f := newProcessFixture(t, 7)
	rs := &racingStore{StateStore: f.file, other: newFileStoreAt(t, f.path)}
	f.store = rs
	desired := desiredState(t, f.g)
	s := f.syncer(t)
	rs.race.Store(true)
	res, err := s.Run(t.Context())
	if !errors.Is(err, druvascim.ErrStaleState) || res == nil || res.Plan.Counts[druvascim.ActionCreate] == 0 {
		t.Fatalf("first cycle: err = %v; want creates and ErrStaleState", err)
	}
	if st := must[*druvascim.State](t)(f.file.Load(t.Context())); len(st.Links) != 0 || st.Generation != 1 {
		t.Fatalf("the refused save changed the other writer's state: %d links, generation %d", len(st.Links), st.Generation)
	}
	posts := f.d.RequestCount("POST")
	res, err = s.Run(t.Context())
	if err != nil {
		t.Fatalf("cycle after the refused save: %v", err)
	}
	if n := len(res.Report.Failed()); n != 0 {
		t.Fatalf("%d failures: %+v", n, res.Report.Failed())
	}
	if created := f.d.RequestCount("POST") - posts; created != 0 {
		t.Errorf("the cycle after the refused save created %d users again", created)
	}
	checkConverged(t, f.d, desired, f.unmanaged)
	checkLinks(t, f.d, must[*druvascim.State](t)(f.file.Load(t.Context())), desired)
}

func newFileStoreAt(t testing.TB, path string) druvascim.StateStore {
	t.Helper()
	return must[druvascim.StateStore](t)(druvascim.NewFileStore(path))
}
