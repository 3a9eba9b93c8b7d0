package entra_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/entra"
)

// fuzzSP is the service principal of the tenant FuzzReadResponses serves.
const fuzzSP = "11111111-2222-3333-4444-555555555555"

// graphAnswers returns the valid answers of a tiny tenant by request path
// (BASE stands for the server's URL), and the paths in the order the fuzz
// input's "which" picks them.
func graphAnswers() (map[string]string, []string) {
	const sp = fuzzSP
	valid := map[string]string{
		"/v1.0/groups/delta":                                   `{"value":[],"@odata.deltaLink":"BASE/v1.0/groups/delta?$deltatoken=g"}`,
		"/v1.0/users/delta":                                    `{"value":[{"id":"u1","accountEnabled":true,"mail":"a@b.c"}],"@odata.deltaLink":"BASE/v1.0/users/delta?$deltatoken=u"}`,
		"/v1.0/servicePrincipals/" + sp:                        `{"id":"` + sp + `","appRoles":[{"id":"r1","value":"User","displayName":"User"}]}`,
		"/v1.0/servicePrincipals/" + sp + "/appRoleAssignedTo": `{"value":[{"id":"a","appRoleId":"r1","principalId":"u1","principalType":"User"},{"id":"b","appRoleId":"r1","principalId":"g1","principalType":"Group"}]}`,
		"/v1.0/groups/g1/members/microsoft.graph.user":         `{"value":[{"id":"u1"}]}`,
	}
	paths := []string{"/v1.0/groups/delta", "/v1.0/users/delta", "/v1.0/servicePrincipals/" + sp,
		"/v1.0/servicePrincipals/" + sp + "/appRoleAssignedTo", "/v1.0/groups/g1/members/microsoft.graph.user"}
	return valid, paths
}

// FuzzReadResponses serves one fuzzed body, with status 200, in place of one
// Graph answer of a full read (chosen by which) while the others are valid.
// The read must either fail with ErrMalformed or ErrOffHost, or succeed
// with users that all have ids; it must never panic or hang.
func FuzzReadResponses(f *testing.F) {
	valid, paths := graphAnswers()
	for i, p := range paths {
		f.Add(uint8(i), []byte(valid[p]))
	}
	f.Add(uint8(1), []byte(`{"value":[{"id":"u1"}],"@odata.nextLink":"https://evil.example/v1.0/users/delta?$skiptoken=1"}`))
	f.Add(uint8(1), []byte(`{"value":[{"id":"u1"}],"@odata.nextLink":"BASE/v1.0/users/delta?$skiptoken=1"}`))
	f.Add(uint8(2), []byte(`{"id":"`+fuzzSP+`","appRoles":"nope"}`))
	f.Add(uint8(3), []byte(`{"value":[{"id":"a","appRoleId":7,"principalId":"u1","principalType":"User"}]}`))
	f.Add(uint8(4), []byte(`<html>oops</html>`))
	f.Add(uint8(0), []byte(`{"value":[],"@odata.deltaLink":""}`))
	f.Fuzz(runOne)
}

// runOne is one FuzzReadResponses iteration: a fresh server and reader.
func runOne(t *testing.T, which uint8, body []byte) {
	valid, paths := graphAnswers()
	target := paths[int(which)%len(paths)]
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := valid[r.URL.Path]
		if r.URL.Path == target && r.URL.Query().Get("$skiptoken") == "" {
			b = string(body)
		}
		if b == "" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(strings.ReplaceAll(b, "BASE", srv.URL)))
	}))
	defer func() {
		// A connection dialled but never used would hold Close for 5 s.
		srv.CloseClientConnections()
		srv.Close()
	}()
	r, err := entra.NewReader(entra.StaticToken("t"), entra.WithServicePrincipalID(fuzzSP), entra.WithGraphURL(srv.URL),
		entra.WithRateLimit(0, 0), entra.WithRetries(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	snap, err := r.Read(t.Context(), "")
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("read took %v", d)
	}
	if err != nil {
		var ge *entra.GraphError
		if !errors.Is(err, entra.ErrMalformed) && !errors.Is(err, entra.ErrOffHost) && !errors.As(err, &ge) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		return
	}
	for _, u := range snap.Objects {
		if u.ID == "" || u.Attributes == nil {
			t.Fatalf("user without id: %+v", u)
		}
	}
}
