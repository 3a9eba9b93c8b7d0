package faulttest

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
)

// TestRevokedTokenQuarantines: a Druva token revoked while a cycle runs
// (regenerated in the console) stops the cycle early with one clear error —
// not a failure per user — and costs a handful of requests, not thousands.

// defaultConcurrency is the number of operations the Syncers of these tests
// run at once: druvascim's default (see druvascim.WithConcurrency).
const defaultConcurrency = 8

func TestRevokedTokenQuarantines(t *testing.T) {
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(1500), entratest.WithGroups(15), entratest.WithSeed(11)))
	defer g.Close()
	desired := desiredState(t, g)

	t.Run("revoked mid-cycle", func(t *testing.T) {
		d := must[*druvatest.Server](t)(druvatest.NewServer())
		defer d.Close()
		// The token is regenerated after the listing and 20 creates:
		// from then on every request carries a token Druva no longer
		// accepts.
		var writes atomic.Int64
		ct := &countingTransport{base: http.DefaultTransport, before: func(_ int64, r *http.Request) *http.Request {
			if r.Method != http.MethodGet && writes.Add(1) > 20 {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer revoked-"+d.Token)
			}
			return r
		}}
		c := must[*druva.Client](t)(d.NewClient(druva.WithHTTPClient(&http.Client{Transport: ct}), druva.WithWait(noWait)))
		s := newSyncer(t, graphReader(t, g), c, newFileStore(t), druvascim.WithConcurrency(defaultConcurrency))
		res, err := s.Run(t.Context())
		if !errors.Is(err, druvascim.ErrQuarantined) || !errors.Is(err, druva.ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrQuarantined wrapping druva.ErrUnauthorized", err)
		}
		if !strings.Contains(err.Error(), "token") {
			t.Errorf("the error does not say the token is the problem: %v", err)
		}
		st := d.Stats()
		if st.Unauthorized == 0 || st.Unauthorized > 2*defaultConcurrency {
			t.Fatalf("%d requests answered 401 (want at most %d: the operations in flight)", st.Unauthorized, 2*defaultConcurrency)
		}
		if got := st.Requests; got > 20+2*defaultConcurrency+len(desired)/100+5 {
			t.Errorf("%d requests for a cycle that should have stopped after the first 401", got)
		}
		failures := res.Report.Summary.Statuses[druvascim.StatusFailure]
		if failures == 0 || failures > 2*defaultConcurrency || !res.Report.Summary.Quarantined {
			t.Errorf("%d failures reported, quarantined=%v (of %d users to create)", failures, res.Report.Summary.Quarantined, len(desired))
		}
		t.Logf("revoked token: %d requests, %d answered 401, %d failures in the report, error: %v", st.Requests, st.Unauthorized, failures, err)
	})

	t.Run("revoked before the cycle", func(t *testing.T) {
		d := must[*druvatest.Server](t)(druvatest.NewServer())
		defer d.Close()
		c := must[*druva.Client](t)(druva.NewClient("regenerated-long-ago", druva.WithBaseURL(d.URL), druva.WithRateLimit(0, 0), druva.WithWait(noWait)))
		s := newSyncer(t, graphReader(t, g), c, newFileStore(t))
		_, err := s.Run(t.Context())
		if !errors.Is(err, druva.ErrUnauthorized) {
			t.Fatalf("err = %v, want druva.ErrUnauthorized", err)
		}
		if st := d.Stats(); st.Requests != 1 || st.Unauthorized != 1 || writesTo(d) != 0 {
			t.Fatalf("a rejected token cost %d requests (%d answered 401, %d writes), want exactly 1", st.Requests, st.Unauthorized, writesTo(d))
		}
	})
}

// TestRevokedGraphCredential: a Graph credential that is rejected fails the
// read at once (a 401 is not retried) and nothing is written to Druva.
func TestRevokedGraphCredential(t *testing.T) {
	g := must[*entratest.Server](t)(entratest.NewServer(entratest.WithUsers(300), entratest.WithSeed(12)))
	defer g.Close()
	d := must[*druvatest.Server](t)(druvatest.NewServer())
	defer d.Close()
	attrs := mapping.DruvaDefault().SourceAttributes()
	r := must[*entra.Reader](t)(entra.NewReader(entra.StaticToken("revoked-graph-token"), entra.WithServicePrincipalID(g.ServicePrincipalID),
		entra.WithGraphURL(g.URL), entra.WithAttributes(attrs...), entra.WithRateLimit(0, 0), entra.WithWait(noWait)))
	_, err := newSyncer(t, r, d.Client(), newFileStore(t)).Run(t.Context())
	if !errors.Is(err, druvascim.ErrIncompleteSource) || !errors.Is(err, entra.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrIncompleteSource and entra.ErrUnauthorized", err)
	}
	// The first read (the service principal) is refused; at most the
	// reads started beside it are refused too. None is retried.
	if st := g.Stats(); st.Unauthorized == 0 || st.Unauthorized > 3 || st.Requests != st.Unauthorized {
		t.Errorf("%d Graph requests answered 401 for one rejected credential", st.Unauthorized)
	}
	if writesTo(d) != 0 {
		t.Fatal("wrote to Druva after the source read failed")
	}
	if strings.Contains(err.Error(), "revoked-graph-token") {
		t.Fatal("the token is in the error")
	}
}
