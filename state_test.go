package druvascim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleState() *State {
	s := newState()
	s.Links["objA"] = "druva-1"
	s.Links["weird\tid\nwith%escapes\r"] = "target\t%2"
	s.DeltaLink = "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc"
	s.Escrows["objB"] = Escrow{Action: ActionCreate, Attempts: 2, FirstFailure: t0, LastFailure: t0.Add(time.Hour), NextTry: t0.Add(13 * time.Hour), Code: reasonConflict, Detail: "409"}
	s.LastCycle = &Summary{CycleID: "c1", Finished: t0, Full: true, Actions: map[Action]int{ActionCreate: 3}, Statuses: map[Status]int{StatusFailure: 1}}
	s.SourceInScope = 42
	return s
}

func TestFileStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	fs, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := fs.Load(t.Context())
	if err != nil || len(empty.Links) != 0 || empty.DeltaLink != "" {
		t.Fatalf("missing file should load as empty state: %+v %v", empty, err)
	}
	want := sampleState()
	if err := fs.Save(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("state file mode %o, want 600", perm)
	}
	got, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("round trip (-want +got):\n%s", d)
	}
}

func TestFileStoreCrashMidWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	fs := newTestFileStore(t, path)
	first := sampleState()
	if err := fs.Save(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	// The process "dies" after writing the temporary file, before the rename.
	crash := errors.New("power cut")
	fs.beforeRename = func() error { return crash }
	second := first.clone() // of the generation saved
	second.Links["objC"] = "druva-3"
	if err := fs.Save(t.Context(), second); !errors.Is(err, crash) {
		t.Fatalf("save error = %v", err)
	}
	fs.beforeRename = nil
	got, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, got); d != "" {
		t.Fatalf("previous state not intact (-want +got):\n%s", d)
	}
	// A temporary file left by a real crash does not disturb loading.
	if err := os.WriteFile(filepath.Join(dir, ".state.tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // the state, the crash's temporary file, the lock file
		t.Errorf("the failed save left files behind: %v", entries)
	}
}

func TestFileStoreRefusesDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	fs := newTestFileStore(t, path)
	if err := fs.Save(t.Context(), sampleState()); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	cases := map[string]string{
		"truncated":       string(good[:len(good)-8]),
		"no closing line": strings.TrimSuffix(string(good), "end 2\n"),
		"wrong count":     strings.Replace(string(good), "end 2", "end 3", 1),
		"not ours":        "{}\n",
		"bad header":      stateMagic + "\n{\n",
		"bad escape":      stateMagic + "\n{\"links\":1}\na%ZZ\tb\nend 1\n",
		"duplicate":       stateMagic + "\n{\"links\":2}\na\tb\na\tc\nend 2\n",
		"empty":           "",
	}
	for name, text := range cases {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := fs.Load(t.Context()); err == nil {
			t.Errorf("%s: loaded %d links, want an error", name, len(s.Links))
		}
	}
	if _, err := NewFileStore(filepath.Join(dir, "no-such-dir", "state")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := fs.Save(t.Context(), nil); err == nil {
		t.Error("nil state saved")
	}
}

func TestMemoryStoreCopies(t *testing.T) {
	var m memoryStore
	s := sampleState()
	if err := m.Save(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	s.Links["later"] = "x"
	got, _ := m.Load(t.Context())
	if _, ok := got.Links["later"]; ok {
		t.Fatal("memory store shares the caller's map")
	}
}

func bigState(n int) *State {
	s := newState()
	for i := range n {
		s.Links[fmt.Sprintf("%08x-1111-2222-3333-%012x", i, i)] = fmt.Sprintf("druva-%010d", i)
	}
	return s
}

// BenchmarkFileStoreLoad1M loads a state of 1,000,000 links (target < 2 s).
func BenchmarkFileStoreLoad1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state")
	fs, _ := NewFileStore(path)
	if err := fs.Save(b.Context(), bigState(1_000_000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := fs.Load(b.Context())
		if err != nil || len(s.Links) != 1_000_000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStoreSave1M saves a state of 1,000,000 links.
func BenchmarkFileStoreSave1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state")
	fs, _ := NewFileStore(path)
	s := bigState(1_000_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := fs.Save(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}
