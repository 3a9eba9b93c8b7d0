package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/notify"
)

// sidecarVersion is the format of the sidecar file.
const sidecarVersion = 1

// maxSidecar bounds the sidecar file.
const maxSidecar = 1 << 20

// SidecarPath returns the sidecar file of the state file at statePath:
// the state's path followed by ".service.json", next to it.
func SidecarPath(statePath string) string { return statePath + ".service.json" }

// LogPath returns the provisioning-log store kept next to the state file
// at statePath: druva-state.json → druva-state.log.db (the state's path
// without its extension, plus ".log.db"); "" for no state file. It is the
// one rule: `druvasync sync` writes there, the service too, and
// `druvasync logs` and `cycles` read there.
func LogPath(statePath string) string {
	if statePath == "" {
		return ""
	}
	return strings.TrimSuffix(statePath, filepath.Ext(statePath)) + ".log.db"
}

// Sidecar is what the service keeps next to a tenant's state: whether
// provisioning is paused, the quarantine, and the notifiers' memory.
type Sidecar struct {
	Version int  `json:"version"`
	Paused  bool `json:"paused"`
	// Quarantine is set while the tenant is quarantined; Streak counts the
	// quarantined cycles in a row, which stretch the interval.
	Quarantine *druvascim.Quarantine `json:"quarantine,omitempty"`
	Streak     int                   `json:"streak,omitempty"`
	// Held counts the deprovisions the last cycle held for approval, so
	// an approval after a restart of the process knows what it approves.
	Held int `json:"held,omitempty"`
	// Ready is set once a cycle read the source and the target: the state
	// loaded and both credentials were accepted. A paused tenant stays
	// ready across restarts.
	Ready bool `json:"ready,omitempty"`
	// Cycles counts the cycles the service ran for the tenant; the first is
	// recorded as initial.
	Cycles int `json:"cycles,omitempty"`
	// Notify holds each notifier's memory, by the notifier's name.
	Notify map[string]notify.Memory `json:"notify,omitempty"`
}

// ReadSidecar reads the sidecar at path; a missing file is an empty
// sidecar.
func ReadSidecar(path string) (Sidecar, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Sidecar{Version: sidecarVersion}, nil
	}
	if err != nil {
		return Sidecar{}, fmt.Errorf("service sidecar: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
	if err != nil {
		return Sidecar{}, fmt.Errorf("service sidecar %s: %w", path, err)
	}
	if len(data) > maxSidecar {
		return Sidecar{}, fmt.Errorf("service sidecar %s is larger than %d bytes; it is not one of ours: move it away", path, maxSidecar)
	}
	var sc Sidecar
	if err := json.Unmarshal(data, &sc); err != nil {
		return Sidecar{}, fmt.Errorf("service sidecar %s is damaged (%v); move it away to start with provisioning on and no notice remembered", path, err)
	}
	if sc.Version != sidecarVersion {
		return Sidecar{}, fmt.Errorf("service sidecar %s has version %d; this program reads version %d", path, sc.Version, sidecarVersion)
	}
	return sc, nil
}

// WriteSidecar replaces the sidecar at path atomically: a temporary file
// in the same directory, fsync, rename, fsync of the directory; mode 0600.
// The caller holds the state's lock.
func WriteSidecar(path string, sc Sidecar) error {
	sc.Version = sidecarVersion
	data, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return fmt.Errorf("service sidecar %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("service sidecar: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing is left to remove
	if err := writeSync(tmp, append(data, '\n')); err != nil {
		return fmt.Errorf("service sidecar %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("service sidecar: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}

func writeSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
