package druvascim

import (
	"path/filepath"
	"testing"
)

// BenchmarkFileStoreLock takes and gives back a state's lock: the
// directory check, the OS lock, the holder record written and cleared.
func BenchmarkFileStoreLock(b *testing.B) {
	fs, err := NewFileStore(filepath.Join(b.TempDir(), "state"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := fs.Lock(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if err := unlock(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStoreSaveSmall saves a state of 100 links, the cost a lock
// and generation check add to a save showing most (a save is dominated by
// the fsync of the file and of its directory).
func BenchmarkFileStoreSaveSmall(b *testing.B) {
	fs, err := NewFileStore(filepath.Join(b.TempDir(), "state"))
	if err != nil {
		b.Fatal(err)
	}
	s := bigState(100)
	b.ReportAllocs()
	for b.Loop() {
		if err := fs.Save(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileStoreSaveSmallLocked saves the same state under a lock held
// by the store, as druvasync does: no lock taken for the save itself.
func BenchmarkFileStoreSaveSmallLocked(b *testing.B) {
	fs, err := NewFileStore(filepath.Join(b.TempDir(), "state"))
	if err != nil {
		b.Fatal(err)
	}
	unlock, err := fs.Lock(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer unlock()
	s := bigState(100)
	b.ReportAllocs()
	for b.Loop() {
		if err := fs.Save(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}
