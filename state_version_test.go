package druvascim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileStoreNewerVersion: a state file written by a newer release is
// refused as an unsupported version, naming it, not as a foreign file.
func TestFileStoreNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(path, []byte("druvascim-state v2\n{\"links\":0}\nend 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.Load(t.Context())
	if err == nil {
		t.Fatal("a version 2 state file was loaded")
	}
	for _, want := range []string{"version 2", "unsupported", "version 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "bad first line") {
		t.Errorf("error %q calls a newer version a foreign file", err)
	}
}

// A state written when the shrink rule's baseline lived in the last
// cycle's counts keeps its baseline.
func TestStateKeepsOldBaseline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	old := "druvascim-state v1\n" +
		`{"generation":3,"lastCycle":{"finished":"2026-01-01T00:00:00Z","full":true,"sourceInScope":42,"actions":{"Create":2},"failures":1},"links":0}` +
		"\nend 0\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := newTestFileStore(t, path).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.SourceInScope != 42 || s.LastCycle == nil || !s.LastCycle.Full || s.LastCycle.Actions[ActionCreate] != 2 || s.Generation != 3 {
		t.Fatalf("loaded %+v, last cycle %+v", s, s.LastCycle)
	}
}
