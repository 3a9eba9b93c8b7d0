package entra_test

import (
	"testing"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

func reportRead(b *testing.B, s *entra.Snapshot) {
	b.ReportMetric(float64(s.Stats.Requests), "requests/op")
	b.ReportMetric(float64(s.Stats.Pages), "pages/op")
	b.ReportMetric(float64(s.Stats.Users), "users")
	b.ReportMetric(float64(s.Stats.InScope), "inscope")
	b.ReportMetric(float64(s.Stats.Assignments), "assignments")
	b.ReportMetric(float64(s.Stats.CursorBytes)/1024, "cursorKiB")
}

// BenchmarkReadFull100k reads 100,000 users with their assignments and
// group memberships from the fake Graph over loopback (no client-side rate
// limit; page size 999).
func BenchmarkReadFull100k(b *testing.B) {
	s := newFake(b, entratest.WithUsers(100_000))
	r := newReader(b, s, entra.WithRateLimit(0, 0))
	var snap *entra.Snapshot
	for b.Loop() {
		var err error
		if snap, err = r.Read(b.Context(), ""); err != nil {
			b.Fatal(err)
		}
	}
	reportRead(b, snap)
}

// BenchmarkReadIncremental100k is an incremental read of the same tenant
// after 100 attribute changes and one group membership change.
func BenchmarkReadIncremental100k(b *testing.B) {
	s := newFake(b, entratest.WithUsers(100_000))
	r := newReader(b, s, entra.WithRateLimit(0, 0))
	first, err := r.Read(b.Context(), "")
	if err != nil {
		b.Fatal(err)
	}
	ids := s.UserIDs()
	for _, id := range ids[:100] {
		if err := s.UpdateUser(id, map[string]any{"jobTitle": "Bench"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.AddGroupMember(s.GroupIDs()[0], ids[len(ids)-1]); err != nil && err != entratest.ErrConflict {
		b.Logf("add member: %v", err)
	}
	var snap *entra.Snapshot
	for b.Loop() {
		if snap, err = r.Read(b.Context(), first.DeltaLink); err != nil {
			b.Fatal(err)
		}
	}
	reportRead(b, snap)
}

// BenchmarkReadFull100kThrottled reads 100,000 users from a fake Graph that
// throttles the app at 50 requests/s (bursts of 25; 429 with Retry-After
// beyond), with the reader at its defaults (client-side limit
// DefaultRateLimit, real waits): what a large tenant's first read costs
// under Graph's limits.
func BenchmarkReadFull100kThrottled(b *testing.B) {
	s := newFake(b, entratest.WithUsers(100_000), entratest.WithThrottle(50, 25))
	r, err := s.Client(entra.WithRateLimit(entra.DefaultRateLimit, 10))
	if err != nil {
		b.Fatal(err)
	}
	var snap *entra.Snapshot
	before := s.Stats().Throttled
	for b.Loop() {
		if snap, err = r.Read(b.Context(), ""); err != nil {
			b.Fatal(err)
		}
	}
	reportRead(b, snap)
	b.ReportMetric(float64(s.Stats().Throttled-before)/float64(b.N), "429s/op")
	b.ReportMetric(float64(snap.Stats.Retries), "retries/op")
}
