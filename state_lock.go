package druvascim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked matches the error of a [StateStore]'s Lock or Save while another
// holder has the state's lock. The error's text names the holder (process
// id, host, since when) from the record it wrote, and the lock file.
var ErrLocked = errors.New("druvascim: the state is locked by another writer")

// ErrStaleState matches the error of a save refused because the stored
// state's generation is higher than the saved one's: another writer saved
// the state after this one loaded it. Nothing was written. The error's text
// names both generations.
var ErrStaleState = errors.New("druvascim: the stored state is newer than the one loaded")

// staleState returns the error of a save of generation loaded refused by a
// stored state of generation stored at path.
func staleState(path string, loaded, stored uint64) error {
	return fmt.Errorf("%w: state %s not saved: the stored state is generation %d, newer than generation %d this run loaded; another writer saved it meanwhile (run one writer per state: take the store's lock)",
		ErrStaleState, path, stored, loaded)
}

// lockHolder is the record a lock holder writes into the lock file.
type lockHolder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// thisHolder describes this process, now.
func thisHolder() lockHolder {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "(unknown host)"
	}
	return lockHolder{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Truncate(time.Second)}
}

// locked returns the error that refuses a second holder of the lock file
// at path: it matches [ErrLocked] and names the holder and what to do.
func (h *lockHolder) locked(path string) error {
	if h.PID == 0 {
		return fmt.Errorf("%w: in use by another process (lock file %s, no holder recorded); wait for that run to end, or stop it", ErrLocked, path)
	}
	return fmt.Errorf("%w: in use by process %d on host %s since %s (lock file %s); wait for that run to end, or stop it",
		ErrLocked, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339), path)
}

// heldLock is a state's OS file lock, held.
type heldLock struct {
	state  string // the state file the lock guards
	file   string // the lock file
	fl     *flock.Flock
	holder lockHolder
}

// maxHolderRecord bounds what is read of a lock file's holder record.
const maxHolderRecord = 4 << 10

// acquireLock takes the lock of the state file at state without waiting and
// records this process as its holder. When another holder has it, the
// error matches [ErrLocked] and names the holder its record names.
func acquireLock(state string) (*heldLock, error) {
	file := state + ".lock"
	fl := flock.New(file, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("druvascim: lock state: %w", err)
	}
	if !ok {
		return nil, readHolder(file).locked(file)
	}
	l := &heldLock{state: state, file: file, fl: fl, holder: thisHolder()}
	// The record only informs whoever is refused; where it cannot be
	// written (Windows refuses writes to a byte range another handle has
	// locked), the lock holds without it.
	_ = l.writeRecord()
	return l, nil
}

// writeRecord replaces the lock file's holder record by this holder's. The
// record is written over the old one before the file is cut to its length,
// so a reader never sees an empty file where a holder is recorded.
func (l *heldLock) writeRecord() error {
	rec, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	rec = append(rec, '\n')
	return rewrite(l.file, rec)
}

// rewrite writes data at the start of the file at path and cuts it there.
func rewrite(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// release clears the holder record (where it can) and gives the lock back.
// The lock file stays (see [NewFileStore]).
func (l *heldLock) release() error {
	_ = rewrite(l.file, nil)
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("druvascim: unlock state: %w", err)
	}
	return nil
}

// readHolder reads the holder record of the lock file at path; the zero
// holder when there is none or it cannot be read.
func readHolder(path string) *lockHolder {
	var h lockHolder
	f, err := os.Open(path)
	if err != nil {
		return &h
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, maxHolderRecord))
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if json.Unmarshal(line, &h) != nil {
		return &lockHolder{}
	}
	return &h
}

// checkWritable checks, before a run writes anything elsewhere, that the
// state file at path can be saved: that the path names a regular file or
// nothing, and that its directory accepts a new file (a save writes one and
// renames it over the state).
func checkWritable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("druvascim: state file %s is not a regular file (%s); give the path of a file", path, fi.Mode().Type())
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("druvascim: state file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		return fmt.Errorf("druvascim: the state could not be saved: its directory %s does not accept new files (%w); make it writable or choose another state path", dir, unwrapPath(err))
	}
	name := probe.Name()
	probe.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("druvascim: state directory %s: %w", dir, err)
	}
	return nil
}

// unwrapPath returns the cause of a *fs.PathError, whose message would
// repeat a temporary file's name.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
