package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

// fuzzMaxBody is the body cap the fuzzed clients run with, so that "huge
// bodies" are cheap to produce.
const fuzzMaxBody = 64 << 10

// scimStatuses are the statuses a fuzzed SCIM answer may carry.
var scimStatuses = [...]int{200, 200, 200, 200, 201, 204, 400, 401, 404, 409, 429, 500, 503}

// scimSeeds are the nasty SCIM answers every SCIM fuzz target starts from.
func scimSeeds() []string {
	return []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"startIndex":1,"itemsPerPage":2,"Resources":[{"id":"u1","userName":"a@x"},{"id":"u2","userName":"b@x"}]}`,
		`{"totalResults":5,"Resources":[{"id":"u1","userName":"a@x"},{"id":"u2","userName":"b@x"}]}`, // totalResults lies high
		`{"totalResults":0,"Resources":[{"id":"u1","userName":"a@x"}]}`,                              // lies low
		`{"totalResults":1,"Resources":[{"id":"u1"},{"id":"u1"}]}`,                                   // repeats
		`{"totalResults":-3,"Resources":[]}`,
		`{"totalResults":1e12,"Resources":[{"id":"u1"}]}`,
		`{"totalResults":"2","Resources":[{"id":"u1"},{"id":"u2"}]}`, // string number
		`{"totalResults":2,"resources":[{"id":"u1"},{"id":"u2"}]}`,   // lower-case key
		`{"totalResults":2,"Resources":{"id":"u1"}}`,                 // wrong type
		`{"totalResults":2,"Resources":[{"id":7},{"id":null}]}`,      // wrong id types
		`{"totalResults":1,"Resources":[{"userName":"no id"}]}`,
		`{"totalResults":1,"Resources":[{"id":"u1","userName":"a@x"`, // truncated
		`<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"boom"}`,
		`{"id":"u1","userName":"a@x","active":"False","emails":[{"value":"a@x","primary":"yes"}]}`,
		`{"id":"u1","userName":"a@x"}{"id":"u2"}`, // trailing data
		`null`, `[]`, `""`, ``,
		`{"totalResults":3,"itemsPerPage":1,"startIndex":1,"Resources":[{"id":"u1"}]}`,
	}
}

// FuzzDruvaListUsers serves a fuzzed first page (body, status, padding) and
// a fuzzed body for every later page to druva.Client.ListUsers and
// FindUsers. Whatever the body,
// nothing panics or hangs; a body that is not JSON, too large or under a
// non-2xx status is an error; and a listing that ends without error holds
// exactly totalResults distinct users with ids: never a short list treated
// as complete.
func FuzzDruvaListUsers(f *testing.F) {
	for i, s := range scimSeeds() {
		f.Add([]byte(s), []byte(s), uint8(i%4), uint16(0))
	}
	first := []byte(`{"totalResults":5,"startIndex":1,"Resources":[{"id":"u1"},{"id":"u2"}]}`)
	for _, later := range []string{
		`{"totalResults":5,"startIndex":3,"Resources":[]}`,                        // stops short
		`{"totalResults":5,"startIndex":3}`,                                       // no Resources
		`{"totalResults":2,"startIndex":3,"Resources":[{"id":"u3"}]}`,             // total shrinks
		`{"totalResults":5,"startIndex":3,"Resources":[{"id":"u1"},{"id":"u2"}]}`, // repeated page
		`{"totalResults":5,"startIndex":1,"Resources":[{"id":"u3"},{"id":"u4"}]}`, // wrong startIndex
		`{"totalResults":5,"startIndex":3,"Resources":[{"id":"u3"},{"id":"u4"},{"id":"u5"},{"id":"u6"}]}`,
		`<html>504 Gateway Time-out</html>`,
	} {
		f.Add(first, []byte(later), uint8(0), uint16(0))
	}
	f.Add([]byte(scimSeeds()[0]), []byte(``), uint8(0), uint16(5000)) // 80 KB: over the cap
	f.Add([]byte(scimSeeds()[0]), []byte(``), uint8(6), uint16(0))
	srv, current := fuzzServer(f)
	c, err := druva.NewClient("fuzz-secret-token", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0),
		druva.WithRetryMax(0), druva.WithMaxBody(fuzzMaxBody), druva.WithWait(noWait), druva.WithPageSize(2))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, later []byte, status uint8, pad uint16) {
		a := &answer{body: body, later: later, status: scimStatuses[int(status)%len(scimStatuses)], pad: int(pad) * 16}
		current.Store(a)
		for _, list := range []string{"ListUsers", "FindUsers"} {
			n, ids, err := 0, map[string]bool{}, error(nil)
			start := time.Now()
			if list == "ListUsers" {
				for u, e := range c.ListUsers(t.Context()) {
					if e != nil {
						err = e
						break
					}
					n++
					if u.ID() == "" || ids[u.ID()] {
						t.Fatalf("%s yielded a user without id or twice: %v", list, u)
					}
					ids[u.ID()] = true
					if n > 100_000 {
						t.Fatalf("%s does not end", list)
					}
				}
			} else {
				us, e := c.FindUsers(t.Context(), "userName", "a@x")
				err, n = e, len(us)
				for _, u := range us {
					if u.ID() == "" || ids[u.ID()] {
						t.Fatalf("%s returned a user without id or twice: %v", list, u)
					}
					ids[u.ID()] = true
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("%s took %v", list, d)
			}
			if err != nil {
				if strings.Contains(err.Error(), "fuzz-secret-token") {
					t.Fatalf("the token is in the error: %v", err)
				}
				continue
			}
			if a.laterSent.Load() > 0 && !json.Valid(later) {
				t.Fatalf("%s: a later page that is not JSON accepted: %q", list, later)
			}
			switch {
			case a.status >= 300:
				t.Fatalf("%s: status %d accepted", list, a.status)
			case len(body)+a.pad > fuzzMaxBody:
				t.Fatalf("%s: a %d-byte body accepted over a %d-byte cap", list, len(body)+a.pad, fuzzMaxBody)
			case !json.Valid(body):
				t.Fatalf("%s: a body that is not JSON accepted as %d users: %q", list, n, body)
			}
			var page struct {
				TotalResults *int `json:"totalResults"`
			}
			if json.Unmarshal(body, &page) == nil && page.TotalResults != nil && *page.TotalResults != n {
				t.Fatalf("%s: %d users accepted as complete, the server said totalResults %d: %q", list, n, *page.TotalResults, body)
			}
		}
	})
}

// FuzzDruvaGetUser serves one fuzzed body to druva.Client.GetUser: no panic,
// a body that is not a JSON object, too large or under a non-2xx status is an
// error, and a user returned has an id.
func FuzzDruvaGetUser(f *testing.F) {
	for i, s := range scimSeeds() {
		f.Add([]byte(s), uint8(i%4), uint16(0))
	}
	f.Add([]byte(`{"id":"u1","userName":"a@x"}`), uint8(0), uint16(4100))
	srv, current := fuzzServer(f)
	c, err := druva.NewClient("fuzz-secret-token", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0),
		druva.WithRetryMax(0), druva.WithMaxBody(fuzzMaxBody), druva.WithWait(noWait))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, status uint8, pad uint16) {
		a := &answer{body: body, status: scimStatuses[int(status)%len(scimStatuses)], pad: int(pad) * 16}
		current.Store(a)
		u, err := c.GetUser(t.Context(), "u1")
		if err != nil {
			if strings.Contains(err.Error(), "fuzz-secret-token") {
				t.Fatalf("the token is in the error: %v", err)
			}
			return
		}
		var obj map[string]any
		switch {
		case a.status >= 300:
			t.Fatalf("status %d accepted", a.status)
		case len(body)+a.pad > fuzzMaxBody:
			t.Fatalf("a %d-byte body accepted over a %d-byte cap", len(body)+a.pad, fuzzMaxBody)
		case json.Unmarshal(body, &obj) != nil || obj == nil:
			t.Fatalf("a body that is not a JSON object accepted: %q", body)
		case u.ID() == "":
			t.Fatalf("a user without id accepted: %q", body)
		}
	})
}

// TestDruvaRejectsTrailingData: a body with data after its JSON value is
// malformed and must be refused by every decoder of druva.Client. (Found by
// FuzzDruvaGetUser: a stray '}' or ']' after the value was accepted, because
// json.Decoder.More is false before a closing bracket; fixed in druva.)
func TestDruvaRejectsTrailingData(t *testing.T) {
	for _, tc := range []struct{ call, body string }{
		{"GetUser", `{"id":"u1","userName":"a@x"} {"id":"u2"}`},
		{"GetUser", `{"id":"u1","n":1} }`},
		{"GetUser", `{"id":"u1","n":1}]<html>`},
		{"ListUsers", `{"totalResults":1,"Resources":[{"id":"u1"}]} }`},
		{"ListUsers", `{"totalResults":1,"Resources":[{"id":"u1"}]}]`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/scim+json")
			_, _ = w.Write([]byte(tc.body))
		}))
		c := must[*druva.Client](t)(druva.NewClient("t", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithRetryMax(0)))
		var err error
		if tc.call == "GetUser" {
			_, err = c.GetUser(t.Context(), "u1")
		} else {
			for _, e := range c.ListUsers(t.Context()) {
				if e != nil {
					err = e
					break
				}
			}
		}
		srv.Close()
		if err == nil {
			t.Errorf("%s accepted %q", tc.call, tc.body)
		}
	}
}

// answer is what the fuzz server sends: body, then pad spaces; later (when
// not nil) answers list requests for pages after the first.
type answer struct {
	body, later []byte
	status      int
	pad         int
	laterSent   atomic.Int64
}

func fuzzServer(f *testing.F) (*httptest.Server, *atomic.Pointer[answer]) {
	var current atomic.Pointer[answer]
	current.Store(&answer{status: 200, body: []byte(`{}`)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := current.Load()
		w.Header().Set("Content-Type", "application/scim+json")
		if si := r.URL.Query().Get("startIndex"); a.later != nil && si != "" && si != "1" {
			a.laterSent.Add(1)
			_, _ = w.Write(a.later)
			return
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
		if a.pad > 0 {
			_, _ = w.Write(bytes.Repeat([]byte(" "), a.pad))
		}
	}))
	f.Cleanup(srv.Close)
	return srv, &current
}

// graphTargets are the Graph requests of a full read whose answer
// FuzzGraphRead replaces ("SP" is the service principal itself).
var graphTargets = [...]string{"/appRoleAssignedTo", "/users/delta", "/groups/delta", "/$batch", "/members", "SP"}

// FuzzGraphRead puts a proxy in front of a real fake tenant (entratest)
// and replaces the n-th answer to one kind of Graph request of a full read
// by entra.Reader with a fuzzed body. Nothing panics or hangs; a collection
// page that is not a JSON object with a "value" array (HTML, truncated JSON,
// wrong types, no "value") fails the read; and a nextLink to a foreign host
// never carries the token there.
func FuzzGraphRead(f *testing.F) {
	foreign := &foreignHost{}
	foreign.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.mu.Lock()
		foreign.seen = append(foreign.seen, r.Header.Get("Authorization"))
		foreign.mu.Unlock()
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	f.Cleanup(foreign.srv.Close)
	seeds := []string{
		`{"value":[]}`,
		`{"@odata.context":"x"}`, // no value
		`{"value":null}`,
		`{"value":{"id":"u1"}}`,
		`{"value":[1,2,3]}`,
		`{"value":[{"id":5,"principalId":[],"appRoleId":true}]}`,
		`{"value":[{"id":"u1"}],"@odata.nextLink":"` + foreign.srv.URL + `/v1.0/users/delta?$skiptoken=x"}`,
		`{"value":[{"id":"u1"}],"@odata.nextLink":"http://graph.microsoft.com.evil.example/v1.0/users"}`,
		`{"value":[{"id":"u1"}],"@odata.deltaLink":"` + foreign.srv.URL + `/v1.0/users/delta?$deltatoken=x"}`,
		`{"value":[{"id":"u1"}`,
		`<html><body><h1>503 Service Unavailable</h1></body></html>`,
		`{"responses":[{"id":"1","status":200,"body":{"value":"nope"}}]}`,
		`{"responses":[{"id":"1","status":429,"headers":{"Retry-After":"604800"}}]}`,
		`{"responses":"x"}`,
		`{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`,
		`{"value":[]} }`, // trailing data after the page
		`{"value":[]}]`,
		`{"value":[]} {"value":[]}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), uint8(0))
	}
	g, err := entratest.NewServer(entratest.WithUsers(30), entratest.WithGroups(2), entratest.WithSeed(4), entratest.WithMaxPageSize(5))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(g.Close)
	// Each iteration reads with a token of its own, and only requests
	// carrying it count: a request of an earlier read that reaches the
	// proxy late (the read was over, its context canceled) must not take
	// this iteration's replacement body.
	type state struct {
		token  string
		target string
		nth    int64
		body   []byte
		seen   atomic.Int64
		served atomic.Bool
	}
	var iteration atomic.Int64
	var current atomic.Pointer[state]
	var proxy *httptest.Server
	proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := current.Load()
		hit := strings.Contains(r.URL.Path, st.target) || st.target == "SP" && strings.HasSuffix(r.URL.Path, "/"+g.ServicePrincipalID)
		hit = hit && r.Header.Get("Authorization") == "Bearer "+st.token
		r.Header.Set("Authorization", "Bearer "+g.Token) // the tenant knows only its own
		if hit && st.seen.Add(1)-1 == st.nth {
			st.served.Store(true)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(st.body)
			return
		}
		rec := httptest.NewRecorder()
		g.Handler().ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte(g.URL), []byte(proxy.URL)))
	}))
	f.Cleanup(proxy.Close)
	attrs := []string{"userPrincipalName", "mail", "displayName", "givenName", "surname", "mailNickname"}
	// The readers of all iterations share one connection pool.
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	f.Cleanup(hc.CloseIdleConnections)
	f.Fuzz(func(t *testing.T, body []byte, which, nth uint8) {
		token := fmt.Sprintf("fuzz-graph-token-%d", iteration.Add(1))
		r, err := entra.NewReader(entra.StaticToken(token), entra.WithServicePrincipalID(g.ServicePrincipalID),
			entra.WithGraphURL(proxy.URL), entra.WithAttributes(attrs...), entra.WithRateLimit(0, 0), entra.WithWait(noWait),
			entra.WithRetries(1, time.Second), entra.WithPageSize(5), entra.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		st := &state{token: token, target: graphTargets[int(which)%len(graphTargets)], nth: int64(nth % 3), body: body}
		current.Store(st)
		start := time.Now()
		snap, err := r.Read(t.Context(), "")
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("read took %v", d)
		}
		for _, auth := range foreign.requests() {
			if auth != "" {
				t.Fatalf("the foreign host received a credential")
			}
		}
		if err != nil {
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), g.Token) {
				t.Fatalf("the token is in the error: %v", err)
			}
			return
		}
		for _, u := range snap.Objects {
			if u.ID == "" {
				t.Fatalf("a user without id in a complete read: %+v", u)
			}
		}
		if !st.served.Load() || st.target == "/$batch" || st.target == "SP" {
			return
		}
		var page struct {
			Value *[]map[string]any `json:"value"`
		}
		if json.Unmarshal(body, &page) != nil || page.Value == nil {
			t.Fatalf("a read succeeded (%d users) although a %s page was %q", len(snap.Objects), st.target, body)
		}
	})
}
