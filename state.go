package druvascim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// State is what one cycle hands to the next: the links between source
// objects and target users, the delta link for the next incremental read,
// escrowed failures and the last cycle's counts. The zero value is not ready
// to use; call [NewState].
type State struct {
	// Links maps a source object id to the id of the target user created or
	// matched for it. Only linked users are ever disabled or deleted.
	Links map[string]string `json:"links"`
	// DeltaLink is the source's delta link for the next incremental read;
	// empty forces a full read.
	DeltaLink string `json:"deltaLink,omitempty"`
	// Escrows holds failed operations by source id, retried after NextTry.
	Escrows map[string]Escrow `json:"escrows,omitempty"`
	// LastCycle holds the counts of the last completed cycle, nil before the
	// first one.
	LastCycle *CycleCounts `json:"lastCycle,omitempty"`
	// Vetoed holds the source ids whose last planned write a hook or plan
	// policy vetoed, with the time of the first veto. They are planned
	// again on later cycles until the write runs or is no longer wanted.
	Vetoed map[string]time.Time `json:"vetoed,omitempty"`
}

// Escrow is a failed operation waiting to be retried in a later cycle.
type Escrow struct {
	// Action is the operation that failed.
	Action Action `json:"action"`
	// Attempts counts the failures so far (at least 1).
	Attempts int `json:"attempts"`
	// FirstFailure and LastFailure bound the failures.
	FirstFailure time.Time `json:"firstFailure"`
	LastFailure  time.Time `json:"lastFailure"`
	// NextTry is the earliest time the planner tries again; a zero NextTry
	// means the next cycle.
	NextTry time.Time `json:"nextTry,omitzero"`
	// Code and Detail describe the last failure.
	Code   Reason `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// CycleCounts summarises a completed cycle for the next one's safety rules.
type CycleCounts struct {
	// Finished is when the cycle ended.
	Finished time.Time `json:"finished"`
	// Full is true for a cycle that read the whole source.
	Full bool `json:"full"`
	// SourceInScope is the number of in-scope source objects of the last
	// full read (the baseline for the shrink rule).
	SourceInScope int `json:"sourceInScope"`
	// Actions counts the plan's operations per action.
	Actions map[Action]int `json:"actions,omitempty"`
	// Failures counts failed operations.
	Failures int `json:"failures"`
	// Quarantined is true when the cycle stopped early.
	Quarantined bool `json:"quarantined,omitempty"`
}

// NewState returns an empty state.
func NewState() *State {
	return &State{Links: map[string]string{}, Escrows: map[string]Escrow{}}
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := &State{
		Links:     maps.Clone(s.Links),
		DeltaLink: s.DeltaLink,
		Escrows:   maps.Clone(s.Escrows),
		Vetoed:    maps.Clone(s.Vetoed),
	}
	if c.Links == nil {
		c.Links = map[string]string{}
	}
	if c.Escrows == nil {
		c.Escrows = map[string]Escrow{}
	}
	if s.LastCycle != nil {
		lc := *s.LastCycle
		lc.Actions = maps.Clone(lc.Actions)
		c.LastCycle = &lc
	}
	return c
}

// StateStore loads and saves the [State] between cycles. Implementations
// must be safe for concurrent use and must never leave a half-written state
// behind.
type StateStore interface {
	// Load returns the saved state, or a new empty state when nothing was
	// saved yet. A damaged state is an error, never an empty state.
	Load(ctx context.Context) (*State, error)
	// Save replaces the saved state atomically.
	Save(ctx context.Context, s *State) error
}

// MemoryStore is a [StateStore] in memory, for tests and short-lived
// programs. Its zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	s  *State
}

// Load returns a copy of the saved state.
func (m *MemoryStore) Load(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return NewState(), nil
	}
	return m.s.Clone(), nil
}

// Save stores a copy of s.
func (m *MemoryStore) Save(ctx context.Context, s *State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s == nil {
		return errors.New("druvascim: save state: nil state")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s.Clone()
	return nil
}

// FileStore is the default [StateStore]: one file, readable and writable by
// its owner only (0600), replaced atomically on every save (write a
// temporary file in the same directory, fsync, rename, fsync the directory),
// so a crash mid-write leaves the previous state intact.
//
// The file is line-oriented so that a million links load in well under a
// second: a magic line, a JSON header (delta link, escrows, last cycle, link
// count), one "sourceID<TAB>targetID" line per link (tab, newline, carriage
// return and percent are percent-encoded), and a closing "end N" line. A
// file without its closing line, or with a count that does not match, is
// refused as damaged.
type FileStore struct {
	path string
	mu   sync.Mutex
	// beforeRename, when set (tests), runs after the temporary file is
	// written and synced and before the rename; an error aborts the save.
	beforeRename func() error
}

// NewFileStore returns a store for the file at path. The file need not exist;
// its directory must.
func NewFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("druvascim: state file: empty path")
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("druvascim: state file %s: directory: %w", path, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("druvascim: state file %s: %s is not a directory", path, dir)
	}
	return &FileStore{path: path}, nil
}

// Path returns the state file's path.
func (f *FileStore) Path() string { return f.path }

const stateMagic = "druvascim-state v1"

type stateHeader struct {
	DeltaLink string               `json:"deltaLink,omitempty"`
	Escrows   map[string]Escrow    `json:"escrows,omitempty"`
	LastCycle *CycleCounts         `json:"lastCycle,omitempty"`
	Vetoed    map[string]time.Time `json:"vetoed,omitempty"`
	Links     int                  `json:"links"`
}

// Load reads the state file; a missing file is an empty state.
func (f *FileStore) Load(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("druvascim: load state: %w", err)
	}
	s, err := decodeState(string(data))
	if err != nil {
		return nil, fmt.Errorf("druvascim: load state %s: %w", f.path, err)
	}
	return s, nil
}

func decodeState(text string) (*State, error) {
	line, rest, ok := strings.Cut(text, "\n")
	if !ok || line != stateMagic {
		return nil, errors.New("not a druvascim state file (bad first line)")
	}
	line, rest, ok = strings.Cut(rest, "\n")
	if !ok {
		return nil, errors.New("damaged: header line missing")
	}
	var h stateHeader
	if err := json.Unmarshal([]byte(line), &h); err != nil {
		return nil, fmt.Errorf("damaged header: %w", err)
	}
	if h.Links < 0 {
		return nil, fmt.Errorf("damaged header: negative link count %d", h.Links)
	}
	s := &State{
		Links:     make(map[string]string, h.Links),
		DeltaLink: h.DeltaLink,
		Escrows:   h.Escrows,
		LastCycle: h.LastCycle,
		Vetoed:    h.Vetoed,
	}
	if s.Escrows == nil {
		s.Escrows = map[string]Escrow{}
	}
	for n := 1; ; n++ {
		line, rest, ok = strings.Cut(rest, "\n")
		if !ok {
			return nil, errors.New("damaged: closing line missing (truncated file)")
		}
		if strings.HasPrefix(line, "end ") {
			count, err := strconv.Atoi(line[4:])
			if err != nil || count != h.Links || count != len(s.Links) || rest != "" {
				return nil, fmt.Errorf("damaged: closing line %q does not match %d links read", line, len(s.Links))
			}
			return s, nil
		}
		src, dst, ok := strings.Cut(line, "\t")
		if !ok || src == "" || dst == "" {
			return nil, fmt.Errorf("damaged: link line %d is not \"source<TAB>target\"", n)
		}
		var err error
		if src, err = unescapeID(src); err != nil {
			return nil, fmt.Errorf("damaged: link line %d: %w", n, err)
		}
		if dst, err = unescapeID(dst); err != nil {
			return nil, fmt.Errorf("damaged: link line %d: %w", n, err)
		}
		if _, dup := s.Links[src]; dup {
			return nil, fmt.Errorf("damaged: link line %d repeats source id %q", n, src)
		}
		s.Links[src] = dst
	}
}

// Save writes the state atomically with owner-only permissions.
func (f *FileStore) Save(ctx context.Context, s *State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s == nil {
		return errors.New("druvascim: save state: nil state")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := encodeState(w, s); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("druvascim: save state: fsync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	if f.beforeRename != nil {
		if err := f.beforeRename(); err != nil {
			return fmt.Errorf("druvascim: save state: %w", err)
		}
	}
	if err := os.Rename(tmpName, f.path); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	committed = true
	if d, err := os.Open(dir); err == nil {
		// Make the rename itself durable; not every file system supports it.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func encodeState(w *bufio.Writer, s *State) error {
	h := stateHeader{DeltaLink: s.DeltaLink, LastCycle: s.LastCycle, Vetoed: s.Vetoed, Links: len(s.Links)}
	if len(s.Escrows) > 0 {
		h.Escrows = s.Escrows
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	w.WriteString(stateMagic)
	w.WriteByte('\n')
	w.Write(hb)
	w.WriteByte('\n')
	for src, dst := range s.Links {
		if src == "" || dst == "" {
			return fmt.Errorf("link %q → %q: empty id", src, dst)
		}
		writeID(w, src)
		w.WriteByte('\t')
		writeID(w, dst)
		w.WriteByte('\n')
	}
	w.WriteString("end ")
	w.WriteString(strconv.Itoa(len(s.Links)))
	_, err = w.WriteString("\n")
	return err
}

func needsEscape(c byte) bool { return c == '%' || c == '\t' || c == '\n' || c == '\r' }

func writeID(w *bufio.Writer, id string) {
	for i := 0; i < len(id); i++ {
		if needsEscape(id[i]) {
			goto slow
		}
	}
	w.WriteString(id)
	return
slow:
	for i := 0; i < len(id); i++ {
		c := id[i]
		if needsEscape(c) {
			fmt.Fprintf(w, "%%%02X", c)
		} else {
			w.WriteByte(c)
		}
	}
}

func unescapeID(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
