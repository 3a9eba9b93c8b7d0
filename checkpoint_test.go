package druvascim_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// gatedTarget holds every create after the first after until released is
// closed, so a test can see a checkpoint happen in the middle of an apply.
type gatedTarget struct {
	*druva.Client
	after    int64
	creates  atomic.Int64
	released chan struct{}
}

func (g *gatedTarget) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	if g.creates.Add(1) > g.after {
		select {
		case <-g.released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Client.CreateUser(ctx, u)
}

// savedState is what one Save of a recordingStore received.
type savedState struct {
	links      int
	generation uint64
	deltaLink  string
}

// recordingStore records each save and closes onSave after the first save
// that holds links.
type recordingStore struct {
	druvascim.StateStore
	mu     sync.Mutex
	saves  []savedState
	onSave chan struct{}
	once   sync.Once
}

func (r *recordingStore) Save(ctx context.Context, st *druvascim.State) error {
	err := r.StateStore.Save(ctx, st)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.saves = append(r.saves, savedState{len(st.Links), st.Generation, st.DeltaLink})
	r.mu.Unlock()
	if len(st.Links) > 0 {
		r.once.Do(func() { close(r.onSave) })
	}
	return nil
}

// druvaAndFileStore starts a fake Druva and opens a file store in a
// temporary directory, both for the test alone.
func druvaAndFileStore(t *testing.T) (*druvatest.Server, druvascim.StateStore) {
	t.Helper()
	srv, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	fs, err := druvascim.NewFileStore(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	return srv, fs
}

// TestCheckpointsDuringApply: a cycle of 300 creates saves its state while
// it applies. The creates after the 120th wait until a save with links has
// happened, so the test sees one in the middle. Each checkpoint holds the
// links made so far and the delta link the cycle read from; the final save
// follows the checkpoints' generations and is not refused as stale.
func TestCheckpointsDuringApply(t *testing.T) {
	const n = 300
	srv, fs := druvaAndFileStore(t)
	st := &druvascim.State{DeltaLink: "delta-before"}
	if err := fs.Save(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	store := &recordingStore{StateStore: fs, onSave: make(chan struct{})}
	tgt := &gatedTarget{Client: srv.Client(), after: 120, released: store.onSave}
	s, err := druvascim.NewSyncer(entraUsers(n), tgt, mapping.DruvaDefault(), store,
		druvascim.WithCheckpointsForTest(50, time.Hour), druvascim.WithFullRead())
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	if got := res.Plan.Counts[druvascim.ActionCreate]; got != n || srv.Len() != n {
		t.Fatalf("planned %d creates, Druva holds %d users; want %d", got, srv.Len(), n)
	}
	store.mu.Lock()
	saves := store.saves
	store.mu.Unlock()
	if len(saves) < 2 {
		t.Fatalf("saves %+v: want at least one checkpoint before the final save", saves)
	}
	for i, sv := range saves {
		if sv.generation != uint64(i+2) {
			t.Errorf("save %d wrote generation %d, want %d", i, sv.generation, i+2)
		}
		if i == len(saves)-1 {
			break
		}
		if sv.links < 50 || sv.links > n || sv.deltaLink != "delta-before" {
			t.Errorf("checkpoint %d: %d links, delta link %q; want 50 to %d links and the delta link read from", i, sv.links, sv.deltaLink, n)
		}
	}
	final := saves[len(saves)-1]
	if final.links != n {
		t.Errorf("final save holds %d links, want %d", final.links, n)
	}
	loaded, err := fs.Load(t.Context())
	if err != nil || len(loaded.Links) != n {
		t.Fatalf("stored state: %d links, %v", len(loaded.Links), err)
	}
}

// TestNoCheckpointsIntoMemory: a memory store does not outlive the process
// a checkpoint guards against losing, so a cycle saves into one only at its
// end: after a cycle of 300 creates with a checkpoint due every 10
// operations, the store holds the final state at generation 1.
func TestNoCheckpointsIntoMemory(t *testing.T) {
	const n = 300
	srv, err := druvatest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	store := druvascim.NewMemoryStore()
	s, err := druvascim.NewSyncer(entraUsers(n), srv.Client(), mapping.DruvaDefault(), store,
		druvascim.WithCheckpointsForTest(10, time.Hour), druvascim.WithFullRead())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(t.Context()); err != nil {
		t.Fatalf("cycle: %v", err)
	}
	st, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Links) != n || st.Generation != 1 {
		t.Errorf("memory store: %d links at generation %d; want %d links saved once (generation 1)", len(st.Links), st.Generation, n)
	}
}

// refusingTarget refuses one create in three, as Druva refuses an invalid
// user, and passes the others on.
type refusingTarget struct {
	druvascim.Target
	creates atomic.Int64
}

func (r *refusingTarget) CreateUser(ctx context.Context, u scim.Resource) (scim.Resource, error) {
	if r.creates.Add(1)%3 == 0 {
		return nil, scim.NewError(400, "invalidValue", "refused")
	}
	return r.Target.CreateUser(ctx, u)
}

// TestCheckpointsWhileFailuresSettle: the failures of a cycle are escrowed
// once its writes are done, while its checkpoints may still be saving; a
// checkpoint's copy of the state never races with them (the race detector
// would say so), and the final state holds every escrow.
func TestCheckpointsWhileFailuresSettle(t *testing.T) {
	const n = 600
	srv, fs := druvaAndFileStore(t)
	s, err := druvascim.NewSyncer(entraUsers(n), &refusingTarget{Target: srv.Client()}, mapping.DruvaDefault(), fs,
		druvascim.WithCheckpointsForTest(1, time.Hour), druvascim.WithFullRead(),
		druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: -1}))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := s.Run(t.Context()) // so many refusals quarantine the job
	if res == nil || len(res.Report.Failed()) != n/3 {
		t.Fatalf("result %+v: want %d refused creates", res, n/3)
	}
	st, err := fs.Load(t.Context())
	if err != nil || len(st.Escrows) != n/3 || len(st.Links) != n-n/3 {
		t.Fatalf("stored state: %d escrows, %d links, %v; want %d and %d", len(st.Escrows), len(st.Links), err, n/3, n-n/3)
	}
}
