package druvascim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTestFileStore(t *testing.T, path string) *fileStore {
	t.Helper()
	fs, err := NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return fs.(*fileStore)
}

// lockedBy checks that err matches ErrLocked and names process pid on this
// host and a start time no later than now.
func lockedBy(t *testing.T, err error, pid int) error {
	t.Helper()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("error %v, want one matching ErrLocked", err)
	}
	host, _ := os.Hostname()
	_, since, ok := strings.Cut(err.Error(), fmt.Sprintf("process %d on host %s since ", pid, host))
	if !ok {
		t.Fatalf("error text %q does not name the holder, process %d on %s", err, pid, host)
	}
	at, perr := time.Parse(time.RFC3339, strings.Fields(since)[0])
	if perr != nil || at.IsZero() || at.After(time.Now()) {
		t.Fatalf("error text %q: holder's start time %v (%v)", err, at, perr)
	}
	return err
}

// TestFileStoreLockExcludes: one lock holder per state file, whether the
// second comes through another store or the same one; a save without the
// lock is refused while another holds it; unlock frees it for the next.
func TestFileStoreLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	a, b := newTestFileStore(t, path), newTestFileStore(t, path)
	unlock, err := a.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(t.Context())
	le := lockedBy(t, err, os.Getpid())
	if !strings.Contains(le.Error(), "(lock file "+path+".lock)") {
		t.Errorf("error %q does not name the lock file %q", le, path+".lock")
	}
	_, err = a.Lock(t.Context())
	lockedBy(t, err, os.Getpid())
	lockedBy(t, b.Save(t.Context(), newState()), os.Getpid())
	st, err := a.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.Links["x"] = "y"
	if err := a.Save(t.Context(), st); err != nil {
		t.Fatalf("save under the lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("second unlock: %v", err)
	}
	unlockB, err := b.Lock(t.Context())
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	defer unlockB()
	if rec, _ := os.ReadFile(path + ".lock"); !strings.Contains(string(rec), fmt.Sprintf(`"pid":%d`, os.Getpid())) {
		t.Errorf("lock file records %q", rec)
	}
}

// TestFileStoreStaleRecord: a holder record left by a dead holder (the OS
// lock died with it) or a damaged one blocks nobody and is replaced.
func TestFileStoreStaleRecord(t *testing.T) {
	for name, rec := range map[string]string{
		"dead holder": `{"pid":4194000,"host":"elsewhere","since":"2026-01-02T03:04:05Z"}` + "\n",
		"damaged":     "\x00\x01garbage",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			if err := os.WriteFile(path+".lock", []byte(rec), 0o600); err != nil {
				t.Fatal(err)
			}
			unlock, err := newTestFileStore(t, path).Lock(t.Context())
			if err != nil {
				t.Fatalf("a stale record blocked the lock: %v", err)
			}
			_, err = newTestFileStore(t, path).Lock(t.Context())
			lockedBy(t, err, os.Getpid())
			if err := unlock(); err != nil {
				t.Fatal(err)
			}
			if rec, _ := os.ReadFile(path + ".lock"); len(rec) != 0 {
				t.Errorf("unlock left the record %q", rec)
			}
		})
	}
}

const lockHelperEnv = "DRUVASCIM_TEST_LOCK_HELPER"

// TestLockHelperProcess is not a test: started by TestFileStoreLockDiesWithProcess
// as its own process, it locks the state named in its environment, says so,
// and holds the lock until killed.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	fs, err := NewFileStore(path)
	if err == nil {
		_, err = fs.Lock(t.Context())
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until killed
	os.Exit(0)
}

// TestFileStoreLockDiesWithProcess: another process holding the lock is
// named in the refusal; once it is killed (SIGKILL: no unlock, its record
// left behind), the lock is taken over at once.
func TestFileStoreLockDiesWithProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper said %q (%v)", line, err)
	}
	fs := newTestFileStore(t, path)
	_, err = fs.Lock(t.Context())
	lockedBy(t, err, cmd.Process.Pid)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	unlock, err := fs.Lock(t.Context())
	if err != nil {
		t.Fatalf("the dead holder's lock was not taken over: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

// TestSaveRefusesNewerGeneration: two writers without the lock load the
// same state; the first saves; the second's save is refused with a typed
// error and writes nothing. Both stores behave the same.
func TestSaveRefusesNewerGeneration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	file1, file2 := newTestFileStore(t, path), newTestFileStore(t, path)
	mem := &memoryStore{}
	for name, stores := range map[string][2]StateStore{"file": {file1, file2}, "memory": {mem, mem}} {
		t.Run(name, func(t *testing.T) {
			a, b := stores[0], stores[1]
			fast, err := a.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			slow, err := b.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			fast.Links["hire-1"] = "druva-1"
			if err := a.Save(t.Context(), fast); err != nil {
				t.Fatal(err)
			}
			if fast.Generation != slow.Generation+1 {
				t.Fatalf("generation after save %d, loaded %d", fast.Generation, slow.Generation)
			}
			if err := a.Save(t.Context(), fast); err != nil {
				t.Fatalf("a second save of the saved state: %v", err)
			}
			slow.Links["old"] = "druva-0"
			err = b.Save(t.Context(), slow)
			if !errors.Is(err, ErrStaleState) {
				t.Fatalf("save of a stale state: %v", err)
			}
			if want := fmt.Sprintf("generation %d, newer than generation %d", fast.Generation, slow.Generation); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q, want it to say %q", err, want)
			}
			got, err := b.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(fast, got); d != "" {
				t.Fatalf("the refused save changed the state (-want +got):\n%s", d)
			}
		})
	}
}

// TestMemoryStoreLock: the memory store's lock excludes a second holder
// until unlocked.
func TestMemoryStoreLock(t *testing.T) {
	var m memoryStore
	unlock, err := m.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Lock(t.Context())
	lockedBy(t, err, os.Getpid())
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = m.Lock(t.Context())
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	_ = unlock()
}

// TestLockChecksTheStatePath: Lock refuses, before anything is written, a
// state whose directory takes no new file or whose path is not a file;
// Save refuses to replace a file that is not a state.
func TestLockChecksTheStatePath(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestFileStore(t, sub).Lock(t.Context()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("lock of a directory as the state: %v", err)
	}

	foreign := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(foreign, []byte("my notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := newTestFileStore(t, foreign).Save(t.Context(), newState()); err == nil || !strings.Contains(err.Error(), "will not replace") {
		t.Errorf("save over a foreign file: %v", err)
	}
	if b, _ := os.ReadFile(foreign); string(b) != "my notes\n" {
		t.Errorf("the foreign file was replaced: %q", b)
	}

	readOnly := unwritableDir(t)
	_, err := newTestFileStore(t, filepath.Join(readOnly, "state")).Lock(t.Context())
	if err == nil || !strings.Contains(err.Error(), "does not accept new files") {
		t.Errorf("lock in a read-only directory: %v", err)
	}
}

// unwritableDir returns a directory that takes no new file from this
// process: a read-only temporary directory (with a lock file already in it,
// so only the directory check can tell), or for root, whom permissions do
// not stop, /sys.
func unwritableDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		if fi, err := os.Stat("/sys"); err != nil || !fi.IsDir() {
			t.Skip("running as root without /sys: no directory refuses a new file")
		}
		return "/sys"
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	return dir
}
