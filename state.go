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
// escrowed failures and the last cycle's summary. The zero value is an
// empty state, ready for [Apply] and the planner (which fill in the maps
// they write); a program that sets links by hand makes the Links map.
type State struct {
	// Links maps a source object id to the id of the target user created or
	// matched for it. Only linked users are ever disabled or deleted.
	Links map[string]string `json:"links"`
	// DeltaLink is the source's delta link for the next incremental read;
	// empty forces a full read.
	DeltaLink string `json:"deltaLink,omitempty"`
	// Escrows holds failed operations by source id, retried after NextTry.
	Escrows map[string]Escrow `json:"escrows,omitempty"`
	// LastCycle is the summary of the last completed cycle, nil before the
	// first one.
	LastCycle *Summary `json:"lastCycle,omitempty"`
	// SourceInScope is the number of in-scope source objects at the last
	// full cycle: the baseline of the shrink rule ([Policy].MaxSourceShrink);
	// 0 before the first.
	SourceInScope int `json:"sourceInScope,omitempty"`
	// Generation counts the saves of the stored state: Load returns the
	// stored generation and Save writes the next one. Save refuses to
	// overwrite a stored state of a higher generation than this one (a
	// [ErrStaleState]): someone saved since this state was loaded. Zero
	// for a state never saved.
	Generation uint64 `json:"generation,omitempty"`
	// Vetoed holds the source ids whose last planned write a hook or plan
	// policy vetoed, with the time of the first veto. They are planned
	// again on later cycles until the write runs or is no longer wanted.
	Vetoed map[string]time.Time `json:"vetoed,omitempty"`
	// Quarantine is set while the job is in quarantine (see [Quarantine]);
	// nil otherwise.
	Quarantine *Quarantine `json:"quarantine,omitempty"`
	// Fingerprint identifies the configuration of the last completed cycle
	// (the mapping set, its scoping filter and the source's scope
	// setting); a cycle run with another configuration reads everything.
	Fingerprint string `json:"fingerprint,omitempty"`
	// FullReason, when set, makes the next cycle a full one and names why
	// in its summary ("restart" after [Syncer.Restart]).
	FullReason string `json:"fullReason,omitempty"`
	// LearnedRate is the target's request rate (requests per second) the
	// last cycle's client learned, when the target reports one (a method
	// LearnedRate() float64, as druva.Client has); 0 when unknown. A
	// program starts the next cycle's client from it (druva.WithStartRate)
	// instead of learning the limit again.
	LearnedRate float64 `json:"learnedRate,omitempty"`
}

// Quarantine records that the job is in quarantine, as Entra's
// provisioning service quarantines a job: a cycle stopped for a systemic
// failure (the credentials refused, the target unreachable, every one of
// the first operations failing alike) or too many of a cycle's operations
// failed. Cycles still run when asked; a scheduler should wait until
// NextAttempt, which moves away after each quarantined cycle, towards once
// a day. Any cycle without failure ends the quarantine, as does
// [Syncer.Restart].
type Quarantine struct {
	// Reason is the synchronizationQuarantine reason of Microsoft Graph:
	// "EncounteredQuarantineException" (credentials refused, target
	// unreachable) or "EncounteredEscrowProportionThreshold" (too many
	// failures).
	Reason string `json:"reason"`
	// Detail says what happened, for people.
	Detail string `json:"detail,omitempty"`
	// Since is when the quarantine began; NextAttempt when the next cycle
	// should run.
	Since       time.Time `json:"since"`
	NextAttempt time.Time `json:"nextAttempt"`
	// Cycles counts the cycles in a row that ended in quarantine.
	Cycles int `json:"cycles"`
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

// newState returns an empty state with its maps made.
func newState() *State {
	return &State{Links: map[string]string{}, Escrows: map[string]Escrow{}}
}

// clone returns a deep copy of s.
func (s *State) clone() *State {
	c := &State{
		Links:     maps.Clone(s.Links),
		DeltaLink: s.DeltaLink,
		Escrows:   maps.Clone(s.Escrows),

		Generation: s.Generation,
		Vetoed:     maps.Clone(s.Vetoed),

		Fingerprint: s.Fingerprint,
		FullReason:  s.FullReason,
		LearnedRate: s.LearnedRate,
	}
	if s.Quarantine != nil {
		q := *s.Quarantine
		c.Quarantine = &q
	}
	if c.Links == nil {
		c.Links = map[string]string{}
	}
	if c.Escrows == nil {
		c.Escrows = map[string]Escrow{}
	}
	c.SourceInScope = s.SourceInScope
	if s.LastCycle != nil {
		lc := *s.LastCycle
		lc.Actions, lc.Statuses = maps.Clone(lc.Actions), maps.Clone(lc.Statuses)
		if lc.Held != nil {
			h := *lc.Held
			lc.Held = &h
		}
		if lc.Quarantine != nil {
			q := *lc.Quarantine
			lc.Quarantine = &q
		}
		c.LastCycle = &lc
	}
	return c
}

// StateStore loads and saves the [State] between cycles and keeps one
// writer per state. Implementations must be safe for concurrent use, must
// never leave a half-written state behind, and must offer the exclusive
// lock and the generation check below.
//
// A program that writes (a cycle, provisioning on demand, a service) takes
// the lock for as long as it runs and saves through the store it locked: a
// second writer is refused at once instead of overwriting the first one's
// links. The generation check is the defence in depth for a writer that
// did not lock: a save never replaces a state saved after the one it
// started from.
type StateStore interface {
	// Load returns the saved state, or a new empty state when nothing was
	// saved yet. A damaged state is an error, never an empty state.
	Load(ctx context.Context) (*State, error)
	// Save replaces the saved state atomically and sets s.Generation to the
	// generation it wrote. It refuses, with an error matching
	// [ErrStaleState], when the stored state's generation is higher than
	// s.Generation, and with an error matching [ErrLocked] when another holder has the
	// lock.
	Save(ctx context.Context, s *State) error
	// Lock takes the exclusive right to write the state, without waiting.
	// When another holder has it, the error matches [ErrLocked] and names
	// the holder. unlock gives the lock back; calling it
	// again does nothing. A holder that dies loses its lock.
	Lock(ctx context.Context) (unlock func() error, err error)
}

// NewMemoryStore returns a [StateStore] in memory, for tests and
// short-lived programs. Its lock excludes the other callers of Lock on the
// same store. A [Syncer] saves no checkpoints into it while it applies:
// checkpoints are for a process killed mid-cycle, and a memory store goes
// with the process; the cycle's final save still happens, even when it is
// canceled.
func NewMemoryStore() StateStore { return &memoryStore{} }

// memoryStore is the [StateStore] of [NewMemoryStore].
type memoryStore struct {
	mu     sync.Mutex
	s      *State
	holder *lockHolder // the holder of the lock, nil when free
}

// Load returns a copy of the saved state.
func (m *memoryStore) Load(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return newState(), nil
	}
	return m.s.clone(), nil
}

// Save stores a copy of s, unless the stored state is of a higher
// generation.
func (m *memoryStore) Save(ctx context.Context, s *State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s == nil {
		return errors.New("druvascim: save state: nil state")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s != nil && m.s.Generation > s.Generation {
		return staleState("(memory)", s.Generation, m.s.Generation)
	}
	c := s.clone()
	c.Generation++
	m.s = c
	s.Generation = c.Generation
	return nil
}

// Lock takes the store's lock, or returns an error matching [ErrLocked]
// naming this process when it is taken.
func (m *memoryStore) Lock(ctx context.Context) (unlock func() error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder != nil {
		return nil, m.holder.locked("(memory)")
	}
	h := thisHolder()
	m.holder = &h
	var once sync.Once
	return func() error {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.holder = nil
		})
		return nil
	}, nil
}

// fileStore is the [StateStore] of [NewFileStore].
type fileStore struct {
	path string
	mu   sync.Mutex
	held *heldLock // the lock taken by Lock, nil when not held
	// beforeRename, when set (tests), runs after the temporary file is
	// written and synced and before the rename; an error aborts the save.
	beforeRename func() error
}

// NewFileStore returns the default [StateStore]: the file at path, written
// atomically and locked with an OS file lock (the details follow). The file
// need not exist; its directory must.
//
// The state is readable and writable by its owner only (0600) and replaced
// atomically on every save (write a temporary file in the same directory,
// fsync, rename, fsync the directory), so a crash mid-write leaves the
// previous state intact.
//
// The file is line-oriented so that a million links load in well under a
// second: a magic line, a JSON header (delta link, escrows, last cycle, link
// count, generation), one "sourceID<TAB>targetID" line per link (tab,
// newline, carriage return and percent are percent-encoded), and a closing
// "end N" line. A file without its closing line, or with a count that does
// not match, is refused as damaged. A state path that is a symbolic link
// stays one: the file it points to is the one replaced.
//
// The lock is an OS file lock (flock on Unix, LockFileEx on Windows, through
// github.com/gofrs/flock) on a sidecar file, the state's path followed by
// ".lock". The OS releases it when its holder exits or dies, so a killed
// run never blocks the next one. The holder writes a one-line record into
// the lock file (process id, host, since when) for the error that refuses
// the next one; the record is only informative, and the lock file stays in
// place after use: removing it would let two processes lock two different
// files of the same name. Lock also checks that the state's directory
// accepts new files, so that a run learns it could not save its state
// before it writes anything to the target. A Save without the lock takes it
// for the time of the save.
func NewFileStore(path string) (StateStore, error) {
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
	return &fileStore{path: path}, nil
}

// stateMagicPrefix starts the first line of every state file; the version
// follows it. This release reads and writes version 1.
const (
	stateMagicPrefix = "druvascim-state v"
	stateVersion     = 1
	stateMagic       = "druvascim-state v1"
)

type stateHeader struct {
	Generation uint64               `json:"generation,omitempty"`
	DeltaLink  string               `json:"deltaLink,omitempty"`
	Escrows    map[string]Escrow    `json:"escrows,omitempty"`
	LastCycle  *Summary             `json:"lastCycle,omitempty"`
	InScope    int                  `json:"sourceInScope,omitempty"`
	Vetoed     map[string]time.Time `json:"vetoed,omitempty"`
	Quarantine *Quarantine          `json:"quarantine,omitempty"`
	Print      string               `json:"fingerprint,omitempty"`
	FullReason string               `json:"fullReason,omitempty"`
	Rate       float64              `json:"learnedRate,omitempty"`
	Links      int                  `json:"links"`
}

// Load reads the state file; a missing file is an empty state.
func (f *fileStore) Load(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
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
	if err := checkMagic(line, ok); err != nil {
		return nil, err
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
	if h.InScope == 0 && h.LastCycle != nil {
		// Files written before the baseline had its own field kept it in
		// the last cycle's counts.
		var old struct {
			LastCycle struct {
				SourceInScope int `json:"sourceInScope"`
			} `json:"lastCycle"`
		}
		_ = json.Unmarshal([]byte(line), &old)
		h.InScope = old.LastCycle.SourceInScope
	}
	s := &State{
		Generation:    h.Generation,
		Links:         make(map[string]string, h.Links),
		DeltaLink:     h.DeltaLink,
		Escrows:       h.Escrows,
		LastCycle:     h.LastCycle,
		SourceInScope: h.InScope,
		Vetoed:        h.Vetoed,
		Quarantine:    h.Quarantine,
		Fingerprint:   h.Print,
		FullReason:    h.FullReason,
		LearnedRate:   h.Rate,
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

// checkMagic checks a state file's first line: this release's magic, else
// an error that tells a file of another version from a foreign file.
func checkMagic(line string, complete bool) error {
	if complete && line == stateMagic {
		return nil
	}
	if v, ok := strings.CutPrefix(line, stateMagicPrefix); ok && complete {
		if n, err := strconv.Atoi(v); err == nil && n != stateVersion {
			return fmt.Errorf("unsupported state file version %d: this release reads version %d; run the release that wrote it, or move the file away to start over", n, stateVersion)
		}
	}
	return errors.New("not a druvascim state file (bad first line)")
}

// Save writes the state atomically with owner-only permissions, unless the
// stored state is of a higher generation than s or another process holds
// the lock. It refuses to replace a file that is not a druvascim state.
func (f *fileStore) Save(ctx context.Context, s *State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s == nil {
		return errors.New("druvascim: save state: nil state")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path, release, err := f.writePath()
	if err != nil {
		return err
	}
	defer release()
	stored, err := storedGeneration(path)
	if err != nil {
		return fmt.Errorf("druvascim: save state: will not replace %s: %w", path, err)
	}
	if stored > s.Generation {
		return staleState(path, s.Generation, stored)
	}
	if err := f.replace(path, s, s.Generation+1); err != nil {
		return fmt.Errorf("druvascim: save state: %w", err)
	}
	s.Generation++
	return nil
}

// writePath returns the path of the file a save replaces, holding the lock:
// the store's own when Lock holds it, else one taken for the time of the
// save (release gives it back).
func (f *fileStore) writePath() (path string, release func(), err error) {
	if f.held != nil {
		return f.held.state, func() {}, nil
	}
	path, err = resolveLinks(f.path)
	if err != nil {
		return "", nil, fmt.Errorf("druvascim: save state: %w", err)
	}
	l, err := acquireLock(path)
	if err != nil {
		return "", nil, err
	}
	return path, func() { _ = l.release() }, nil
}

// replace writes s with generation gen to a temporary file next to path,
// syncs it and renames it over path.
func (f *fileStore) replace(path string, s *State, gen uint64) error {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
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
		return err
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := encodeState(w, s, gen); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if f.beforeRename != nil {
		if err := f.beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	committed = true
	if d, err := os.Open(dir); err == nil {
		// Make the rename itself durable; not every file system supports it.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// storedGeneration reads the generation of the state file at path from its
// first two lines: 0 when there is no file, an error when the file is not
// a state this release can replace.
func storedGeneration(path string) (uint64, error) {
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer file.Close()
	r := bufio.NewReader(file)
	line, err := r.ReadString('\n')
	if err := checkMagic(strings.TrimSuffix(line, "\n"), err == nil); err != nil {
		return 0, err
	}
	line, err = r.ReadString('\n')
	var h struct {
		Generation uint64 `json:"generation"`
	}
	if err != nil || json.Unmarshal([]byte(line), &h) != nil {
		return 0, errors.New("damaged: the header line is unreadable")
	}
	return h.Generation, nil
}

// Lock takes the state's lock (see [NewFileStore]) for this store: its saves
// go on under it until unlock. A second Lock, from this store or any other
// in this or another process, is refused with an error matching [ErrLocked] until then.
// Lock fails too when the state's directory does not accept new files or
// the state path names something other than a regular file.
func (f *fileStore) Lock(ctx context.Context) (unlock func() error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held != nil {
		return nil, f.held.holder.locked(f.held.file)
	}
	path, err := resolveLinks(f.path)
	if err != nil {
		return nil, fmt.Errorf("druvascim: lock state: %w", err)
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	l, err := acquireLock(path)
	if err != nil {
		return nil, err
	}
	f.held = l
	var once sync.Once
	var uerr error
	return func() error {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.held = nil
			uerr = l.release()
		})
		return uerr
	}, nil
}

// maxLinkHops bounds a chain of symbolic links, as the kernel does (40 on
// Linux).
const maxLinkHops = 40

// resolveLinks follows path while it is a symbolic link and returns the
// absolute path of the file it finally names, which need not exist yet. A
// save writes its temporary file next to that file and renames it there, so
// a link given as the state path stays a link and the file it points to is
// the one replaced.
func resolveLinks(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	for range maxLinkHops {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = filepath.Clean(to)
	}
	return "", fmt.Errorf("%s: more than %d symbolic links in a row", path, maxLinkHops)
}

func encodeState(w *bufio.Writer, s *State, gen uint64) error {
	h := stateHeader{Generation: gen, DeltaLink: s.DeltaLink, LastCycle: s.LastCycle, InScope: s.SourceInScope, Vetoed: s.Vetoed, Quarantine: s.Quarantine,
		Print: s.Fingerprint, FullReason: s.FullReason, Rate: s.LearnedRate, Links: len(s.Links)}
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
