package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/internal/cyclelog"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/service"
)

// defaultTenant is the tenant name sync records its cycles under.
const defaultTenant = "default"

// openLogDB opens the provisioning-log database a writing sync records its
// cycle in: --log-db, or the file next to --state; nil when neither is set
// (a state kept in memory keeps no log). The caller holds the state's
// lock, so it is the database's only writer.
func (f *syncFlags) openLogDB(ctx context.Context) (*logstore.SQLite, error) {
	path := f.logDB
	if path == "" {
		path = service.LogPath(f.state)
	}
	if path == "" {
		return nil, nil
	}
	s, err := logstore.Open(ctx, path)
	if err != nil {
		return nil, badInput("--log-db %s: %v", path, err)
	}
	return s, nil
}

// recordCycle writes the cycle to the log database in one transaction.
func recordCycle(ctx context.Context, store logstore.Store, res *druvascim.Result, cycleErr error, reqs cyclelog.Requests) error {
	var rep *druvascim.Report
	if res != nil {
		rep = res.Report
	}
	// A cycle canceled by Ctrl-C is still recorded: the store outlives
	// the context the cycle ran under.
	_, err := cyclelog.Record(context.WithoutCancel(ctx), store, defaultTenant, rep, cycleErr, reqs)
	return err
}

// requestCounter counts the HTTP requests sent through it.
type requestCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// graphCounter returns a reader option that counts the reader's requests
// to Microsoft Graph, sent through next (nil: [clientTransport]), and the
// counter.
func graphCounter(next http.RoundTripper) (entra.Option, *requestCounter) {
	if next == nil {
		next = clientTransport()
	}
	c := &requestCounter{next: next}
	return entra.WithHTTPClient(&http.Client{Transport: c}), c
}

// clientTransport is the transport the SDK's clients use when given none:
// a server gets a minute to start answering each request.
func clientTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}
