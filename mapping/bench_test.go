package mapping

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/druvascim/druvascim/internal/cputime"
)

// BenchmarkMapDruvaDefault measures the per-user cost of mapping one
// realistic Entra user through the Druva default set.
func BenchmarkMapDruvaDefault(b *testing.B) {
	set := DruvaDefault()
	u := realisticUser()
	ctx := context.Background()
	if _, err := set.Map(ctx, u); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0, ok := cputime.Process()
	for b.Loop() {
		if _, err := set.Map(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1, ok2 := cputime.Process(); ok && ok2 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMapDruvaDefaultParallel maps users on every core, as a cycle
// over a large tenant would.
func BenchmarkMapDruvaDefaultParallel(b *testing.B) {
	set := DruvaDefault()
	u := realisticUser()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := set.Map(ctx, u); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMap1MUsers maps 1,000,000 users through the Druva default set
// per iteration (a pool of 10,000 distinct users, cycled), once on one
// goroutine and once spread over every core; ns/op is the time for the
// whole million (target: under 2 s on 2 cores), ns/user the cost per user.
func BenchmarkMap1MUsers(b *testing.B) {
	if testing.Short() {
		b.Skip("1,000,000 users")
	}
	const n, pool = 1_000_000, 10_000
	users := make([]Attributes, pool)
	for i := range users {
		users[i] = Attributes{
			"objectId":          fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			"userPrincipalName": fmt.Sprintf("user%d@contoso.onmicrosoft.com", i),
			"displayName":       fmt.Sprintf("Zoë Müller %d", i),
			"givenName":         "Zoë",
			"surname":           fmt.Sprintf("Müller %d", i),
			"mail":              fmt.Sprintf("user%d@contoso.com", i),
			"mailNickname":      fmt.Sprintf("user%d", i),
			"department":        "Finance",
			"companyName":       "Contoso",
			"IsSoftDeleted":     i%50 == 0,
		}
	}
	set := DruvaDefault()
	ctx := context.Background()
	run := func(b *testing.B, workers int) {
		b.ReportAllocs()
		cpu0, ok := cputime.Process()
		for b.Loop() {
			var wg sync.WaitGroup
			per := n / workers
			for w := range workers {
				wg.Go(func() {
					for i := w * per; i < (w+1)*per; i++ {
						if _, err := set.Map(ctx, users[i%pool]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/user")
		if cpu1, ok2 := cputime.Process(); ok && ok2 {
			b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N)/n, "cpu-ns/user")
		}
	}
	b.Run("sequential", func(b *testing.B) { run(b, 1) })
	b.Run("parallel", func(b *testing.B) { run(b, runtime.GOMAXPROCS(0)) })
}

func BenchmarkEvaluate(b *testing.B) {
	for _, expr := range []string{
		`Not([IsSoftDeleted])`,
		`Join(" ", [givenName], [surname])`,
		`ToLower(NormalizeDiacritics(StripSpaces(Join(".", [givenName], [surname]))))`,
		`Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")`,
	} {
		b.Run(expr, func(b *testing.B) {
			e := mustParseExpression(expr)
			attrs := Attributes{"IsSoftDeleted": false, "givenName": "Zoë", "surname": "Lefèvre Müller", "state": "QLD"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, attrs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var benchSink any

// BenchmarkCreateFormFloor builds, by hand, the same SCIM JSON shape Map
// produces for the Druva default set (the maps, slices and values) and
// nothing else: the floor any implementation of Map pays. Compare its
// ns/op with BenchmarkMapDruvaDefault measured in the same run.
func BenchmarkCreateFormFloor(b *testing.B) {
	u := realisticUser()
	upn, dn, gn, sn, mail, nick, dept, org := u["userPrincipalName"], u["displayName"], u["givenName"], u["surname"], u["mail"], u["mailNickname"], u["department"], u["companyName"]
	b.ReportAllocs()
	for b.Loop() {
		r := make(map[string]any, 8)
		r["userName"] = upn
		r["active"] = true
		r["displayName"] = dn
		r["emails"] = []any{map[string]any{"type": "work", "value": mail}}
		r["name"] = map[string]any{"givenName": gn, "familyName": sn}
		r["externalId"] = nick
		r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"department": dept, "organization": org}
		r["schemas"] = []any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
		update := make([]Assignment, 9)
		keys := make([]MatchKey, 1)
		benchSink, benchSink, benchSink = r, update, keys
	}
}
