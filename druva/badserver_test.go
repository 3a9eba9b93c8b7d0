package druva_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/scim"
)

// listServer answers GET /scim/Users with page(startIndex, count).
func listServer(t *testing.T, page func(start, count int) string) (*druva.Client, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(page(start, count)))
	}))
	t.Cleanup(srv.Close)
	ft := newFakeTime()
	c, err := druva.NewClient("tok", druva.WithBaseURL(srv.URL+"/scim"), druva.WithRateLimit(0, 0), druva.WithWait(ft.Wait), druva.WithPageSize(2))
	if err != nil {
		t.Fatal(err)
	}
	return c, &hits
}

func users(ids ...int) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf(`{"id":"u%d","userName":"u%d"}`, id, id))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestListUsersRefusesBadServers(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		page func(start, count int) string
		want string
	}{
		"stops early": {func(start, count int) string {
			if start > 2 {
				return `{"totalResults":5,"Resources":[]}`
			}
			return `{"totalResults":5,"Resources":` + users(start, start+1) + `}`
		}, "stopped after 2 of 5"},
		"no Resources at all": {func(start, count int) string { return `{"totalResults":3}` }, "stopped after 0 of 3"},
		"repeats a page": {func(start, count int) string {
			return `{"totalResults":4,"Resources":` + users(1, 2) + `}`
		}, "twice"},
		"ignores startIndex and says so": {func(start, count int) string {
			return `{"totalResults":4,"startIndex":1,"Resources":` + users(start, start+1) + `}`
		}, "startIndex"},
		"more than announced": {func(start, count int) string {
			return `{"totalResults":1,"Resources":` + users(1, 2) + `}`
		}, "more users than"},
		"total changes": {func(start, count int) string {
			return fmt.Sprintf(`{"totalResults":%d,"Resources":%s}`, 3+start, users(start, start+1))
		}, "changed"},
		"no totalResults": {func(start, count int) string { return `{"Resources":` + users(1) + `}` }, "no totalResults"},
		"HTML":            {func(start, count int) string { return `<html><body>Welcome</body></html>` }, "not a JSON ListResponse"},
		"truncated JSON":  {func(start, count int) string { return `{"totalResults":2,"Resources":[{"id":"u1"` }, "decoding"},
		"resource without id": {func(start, count int) string {
			return `{"totalResults":1,"Resources":[{"userName":"x"}]}`
		}, `no "id"`},
		"resource not an object": {func(start, count int) string { return `{"totalResults":1,"Resources":["x"]}` }, "Resources[0] is a string, not an object"},
		"Resources spelt twice": {func(start, count int) string {
			return `{"totalResults":1,"Resources":[{"id":"u1"}],"resources":[]}`
		}, `both "Resources" and "resources"`},
		"Resources an object": {func(start, count int) string { return `{"totalResults":1,"Resources":{"id":"u1"}}` }, "Resources is an object, not an array"},
		"resource null":       {func(start, count int) string { return `{"totalResults":1,"Resources":[null]}` }, "Resources[0]"},
		"trailing data": {func(start, count int) string {
			return `{"totalResults":1,"Resources":[{"id":"u1"}]} {"totalResults":5}`
		}, "trailing"},
		"stray closing bracket": {func(start, count int) string {
			return `{"totalResults":1,"Resources":[{"id":"u1"}]} }`
		}, "trailing"},
		"totalResults a word": {func(start, count int) string { return `{"totalResults":"many","Resources":[]}` }, "totalResults"},
		"negative total":      {func(start, count int) string { return `{"totalResults":-1,"Resources":[]}` }, "totalResults"},
	} {
		c, _ := listServer(t, tc.page)
		var got []scim.Resource
		var lastErr error
		for r, err := range c.ListUsers(t.Context()) {
			if err != nil {
				lastErr = err
				continue
			}
			got = append(got, r)
		}
		if !errors.Is(lastErr, druva.ErrBadResponse) || !strings.Contains(lastErr.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrBadResponse mentioning %q", name, lastErr, tc.want)
		}
	}
}

func TestListUsersToleratesVariants(t *testing.T) {
	t.Parallel()
	// Lower-case "resources", totalResults as a string, a server capping
	// count at 1, no startIndex in the answer, null Resources at the end.
	c, hits := listServer(t, func(start, count int) string {
		return fmt.Sprintf(`{"totalresults":"3","resources":%s}`, users(start))
	})
	var ids []string
	for r, err := range c.ListUsers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	if fmt.Sprint(ids) != "[u1 u2 u3]" || hits.Load() != 3 {
		t.Errorf("ids %v after %d requests", ids, hits.Load())
	}
	c, _ = listServer(t, func(start, count int) string { return `{"totalResults":0,"Resources":null}` })
	for r, err := range c.ListUsers(t.Context()) {
		t.Errorf("empty list yielded %v, %v", r, err)
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status     int
		body       string
		wantDetail string
		wantType   string
	}{
		"SCIM error, string status":   {409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"User exists"}`, "User exists", "uniqueness"},
		"SCIM error, wrong status":    {400, `{"status":500,"detail":"None of the SCIM Mapping matched to create user"}`, "None of the SCIM Mapping matched to create user", ""},
		"no SCIM body":                {404, ``, "Not Found", ""},
		"HTML page":                   {403, `<html><body>Forbidden by gateway</body></html>`, "Forbidden", ""},
		"plain text":                  {400, "bad things\nhappened", "bad things happened", ""},
		"JSON that is not SCIM error": {422, `{"message":"nope"}`, `{"message":"nope"}`, ""},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		c, err := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetUser(t.Context(), "u1")
		srv.Close()
		var se *scim.Error
		var ae *druva.APIError
		if !errors.As(err, &se) || !errors.As(err, &ae) {
			t.Errorf("%s: %v has no *scim.Error / *APIError", name, err)
			continue
		}
		if se.Status != tc.status || se.Detail != tc.wantDetail || se.ScimType != tc.wantType {
			t.Errorf("%s: scim error %+v, want status %d detail %q type %q", name, se, tc.status, tc.wantDetail, tc.wantType)
		}
		if ae.StatusCode != tc.status || ae.Method != "GET" || !strings.Contains(ae.URL, "/Users/u1") {
			t.Errorf("%s: APIError %+v", name, ae)
		}
	}
}

func TestBadSuccessBodies(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty":     ``,
		"no id":     `{"userName":"x"}`,
		"not JSON":  `<html></html>`,
		"truncated": `{"id":"u1","userName":`,
		"array":     `[{"id":"u1"}]`,
		"trailing":  `{"id":"u1"} {"id":"u2"}`,
		"stray }":   `{"id":"u1","n":1} }`,
		"stray ]":   `{"id":"u1","n":1}]`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_, _ = w.Write([]byte(body))
		}))
		c, _ := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
		_, err := c.CreateUser(t.Context(), user(1))
		srv.Close()
		if !errors.Is(err, druva.ErrBadResponse) {
			t.Errorf("%s: %v, want ErrBadResponse", name, err)
		}
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"u1","pad":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	defer srv.Close()
	c, _ := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithMaxBody(1024))
	if _, err := c.GetUser(t.Context(), "u1"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized body: %v", err)
	}
}

func TestTokenNeverLogged(t *testing.T) {
	t.Parallel()
	const tok = "super-secret-druva-token-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") != "" {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(401)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	ft := newFakeTime()
	c, err := druva.NewClient(tok, druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0), druva.WithWait(ft.Wait),
		druva.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := c.GetUser(t.Context(), "u1")
	err2 := c.TestConnection(t.Context())
	out := strings.Join([]string{logs.String(), err1.Error(), err2.Error(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)}, "\n")
	if strings.Contains(out, tok) {
		t.Errorf("token printed:\n%s", out)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "httpx") {
		t.Errorf("the log names the internal package httpx:\n%s", logs.String())
	}
	// A server that does not filter fails the test connection.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"totalResults":1,"Resources":[{"id":"someone"}]}`))
	}))
	defer srv2.Close()
	c2, _ := druva.NewClient(tok, druva.WithBaseURL(srv2.URL), druva.WithRateLimit(0, 0))
	if err := c2.TestConnection(t.Context()); !errors.Is(err, druva.ErrBadResponse) {
		t.Errorf("TestConnection against a non-filtering server: %v", err)
	}
}

func TestDiscoveryErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig"):
			_, _ = w.Write([]byte(`{"patch":{"supported":"true"},"filter":{"supported":true,"maxResults":200}}`))
		case strings.HasSuffix(r.URL.Path, "/ResourceTypes"):
			_, _ = w.Write([]byte(`{"Resources":[{"name":"User","endpoint":"/Users"},{"name":"Group","endpoint":"/Groups"}]}`))
		default:
			_, _ = w.Write([]byte(`<html>not here</html>`))
		}
	}))
	defer srv.Close()
	c, _ := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
	d, err := c.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !d.Groups || !d.Patch || !d.Filter || d.MaxResults != 200 || d.Schemas != nil || len(d.Missing) != 1 {
		t.Errorf("discovery = %+v", d)
	}
	srv401 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	defer srv401.Close()
	c, _ = druva.NewClient("tok", druva.WithBaseURL(srv401.URL), druva.WithRateLimit(0, 0))
	if _, err := c.Discover(t.Context()); !errors.Is(err, druva.ErrUnauthorized) {
		t.Errorf("discovery with a bad token: %v", err)
	}
	if _, err := c.GroupsOffered(t.Context()); !errors.Is(err, druva.ErrUnauthorized) {
		t.Errorf("GroupsOffered with a bad token: %v", err)
	}
}

func TestNumbersKeptExact(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"u1","userName":"a-1","employeeNumber":12345678901234567891,"note":"x\"-1"}`))
	}))
	defer srv.Close()
	c, _ := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
	u, err := c.GetUser(t.Context(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := u["employeeNumber"].(json.Number); !ok || n.String() != "12345678901234567891" {
		t.Errorf("employeeNumber = %#v", u["employeeNumber"])
	}
	if u.UserName() != "a-1" || u["note"] != `x"-1` {
		t.Errorf("user = %v", u)
	}
}

// A server that echoes the Authorization header in its error body, and a
// 2xx body that is not JSON, never put the token into an error.
func TestReflectingServerDoesNotLeakToken(t *testing.T) {
	t.Parallel()
	const token = "druva-t0ken-that-must-not-leak"
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"400","detail":"unexpected header Authorization: %s"}`, r.Header.Get("Authorization"))
			return
		}
		fmt.Fprintf(w, "<html>your token is %s</html>", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(srv.Close)
	c, err := druva.NewClient(token, druva.WithBaseURL(srv.URL+"/scim"), druva.WithRetryMax(0))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := c.GetUser(t.Context(), "u1")
		var ae *druva.APIError
		if err == nil || strings.Contains(err.Error(), token) || errors.As(err, &ae) && (strings.Contains(ae.Body, token) || strings.Contains(ae.SCIM.Detail, token)) {
			t.Errorf("GetUser = %v", err)
		}
	}
}

func TestRequestTimeoutOption(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"id":`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, err := druva.NewClient("tok", druva.WithBaseURL(srv.URL+"/scim"), druva.WithRequestTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(t.Context(), "u1")
	if err == nil || !strings.Contains(err.Error(), "GET "+srv.URL+"/scim/Users/u1") || !strings.Contains(err.Error(), "no complete response") {
		t.Errorf("GetUser = %v", err)
	}
	if _, err := druva.NewClient("tok", druva.WithRequestTimeout(0)); err == nil {
		t.Error("WithRequestTimeout(0) accepted")
	}
}
