package druvascim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFileStoreThroughSymlink: a state path that is a symbolic link (as an
// operator makes one to keep the state on another volume) stays a link, and
// every save reaches the file it points to, whether that file exists yet or
// not, through a chain of links and a relative one.
func TestFileStoreThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	realDir := filepath.Join(dir, "volume")
	if err := os.Mkdir(realDir, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(realDir, "state")
	hop := filepath.Join(realDir, "hop")
	if err := os.Symlink("state", hop); err != nil { // relative, dangling for now
		t.Fatal(err)
	}
	link := filepath.Join(dir, "state")
	if err := os.Symlink(hop, link); err != nil {
		t.Fatal(err)
	}
	fs, err := NewFileStore(link)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleState()
	for round := range 2 {
		want.Links["round"] = string(rune('a' + round))
		if err := fs.Save(t.Context(), want); err != nil {
			t.Fatalf("save %d: %v", round, err)
		}
		for _, l := range []string{link, hop} {
			if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("save %d replaced the link %s: %v %v", round, l, fi.Mode(), err)
			}
		}
		direct, err := NewFileStore(target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := direct.Load(t.Context())
		if err != nil {
			t.Fatalf("save %d did not reach the real file: %v", round, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("save %d: the real file (-want +got):\n%s", round, d)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files left next to the link: %v", entries)
	}
}
