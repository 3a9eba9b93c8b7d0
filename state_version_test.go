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
