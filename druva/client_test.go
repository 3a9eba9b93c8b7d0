package druva_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

func TestCreateAndGetUser(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	in := user(1)
	before := in.Clone()
	got, err := c.CreateUser(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, in); diff != "" {
		t.Errorf("CreateUser modified its argument (-before +after):\n%s", diff)
	}
	if got.ID() == "" || got.UserName() != "user1@example.com" || got.Email() != "user1@example.com" {
		t.Errorf("created = %v", got)
	}
	if s, _ := got.Get("schemas"); !strings.Contains(fmt.Sprint(s), scim.UserSchema) {
		t.Errorf("schemas = %v", s)
	}
	read, err := c.GetUser(t.Context(), got.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"userName", "displayName", "externalId", "name.familyName", "active"} {
		a, _ := got.Get(p)
		b, _ := read.Get(p)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: created %v, read %v", p, a, b)
		}
	}
	if srv.Len() != 1 || srv.RequestCount(http.MethodPost) != 1 || srv.RequestCount(http.MethodGet) != 1 {
		t.Errorf("server: %d users, stats %+v", srv.Len(), srv.Stats())
	}
}

func TestCreateUserChecksDruvaRules(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for _, tc := range []struct {
		attr   string
		modify func(scim.Resource)
	}{
		{"userName", func(r scim.Resource) { delete(r, "userName") }},
		{"userName", func(r scim.Resource) { r["userName"] = "  " }},
		{"displayName", func(r scim.Resource) { delete(r, "displayName") }},
		{"emails", func(r scim.Resource) { delete(r, "emails") }},
		{"emails", func(r scim.Resource) { r["emails"] = []any{map[string]any{"type": "work"}} }},
		{"schemas", func(r scim.Resource) { r["schemas"] = "not a list" }},
	} {
		u := user(1)
		tc.modify(u)
		_, err := c.CreateUser(t.Context(), u)
		var ve *druva.ValidationError
		if !errors.As(err, &ve) || ve.Attribute != tc.attr || !errors.Is(err, druva.ErrInvalid) {
			t.Errorf("missing %s: %v", tc.attr, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.attr) {
			t.Errorf("error %q does not name %s", err, tc.attr)
		}
		var se *scim.Error
		if !errors.As(err, &se) || se.Status != 400 {
			t.Errorf("missing %s: no *scim.Error with status 400 in %v", tc.attr, err)
		}
	}
	if _, err := c.CreateUser(t.Context(), nil); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("nil user: %v", err)
	}
	if n := srv.RequestCount(""); n != 0 {
		t.Errorf("%d requests sent for invalid users", n)
	}
}

func TestConflict(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	if _, err := c.CreateUser(t.Context(), user(1)); err != nil {
		t.Fatal(err)
	}
	sameName := user(2)
	sameName["userName"] = "USER1@example.COM"
	sameMail := user(3)
	sameMail["emails"] = []any{map[string]any{"value": "User1@Example.com", "type": "work"}}
	for name, u := range map[string]scim.Resource{"userName in another case": sameName, "email": sameMail} {
		_, err := c.CreateUser(t.Context(), u)
		if !errors.Is(err, druva.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
			continue
		}
		var se *scim.Error
		if !errors.As(err, &se) || se.Status != 409 || se.ScimType != "uniqueness" {
			t.Errorf("%s: scim error %+v", name, se)
		}
		var ae *druva.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 409 || ae.Method != "POST" {
			t.Errorf("%s: APIError %+v", name, ae)
		}
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	checks := map[string]error{}
	_, checks["GetUser"] = c.GetUser(t.Context(), "no-such-id")
	checks["PatchUser"] = c.PatchUser(t.Context(), "no-such-id", scim.PatchOperation{Op: "replace", Path: "displayName", Value: "x"})
	checks["DisableUser"] = c.DisableUser(t.Context(), "no-such-id")
	checks["DeleteUser"] = c.DeleteUser(t.Context(), "no-such-id")
	_, checks["ReplaceUser"] = c.ReplaceUser(t.Context(), "no-such-id", user(1))
	for name, err := range checks {
		var se *scim.Error
		if !errors.Is(err, druva.ErrNotFound) || !errors.As(err, &se) || se.Status != 404 {
			t.Errorf("%s: %v, want ErrNotFound with a 404 *scim.Error", name, err)
		}
		if errors.Is(err, druva.ErrConflict) || errors.Is(err, druva.ErrUnauthorized) {
			t.Errorf("%s: %v matches the wrong sentinel", name, err)
		}
	}
	for _, id := range []string{"", " ", ".", ".."} {
		if _, err := c.GetUser(t.Context(), id); !errors.Is(err, druva.ErrInvalid) {
			t.Errorf("GetUser(%q) = %v, want ErrInvalid", id, err)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	srv, _, _ := setup(t, nil)
	const wrong = "wrong-token-1234567890"
	c, err := druva.NewClient(wrong, druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateUser(t.Context(), user(1))
	if !errors.Is(err, druva.ErrUnauthorized) {
		t.Fatalf("CreateUser with a wrong token: %v", err)
	}
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 401 {
		t.Errorf("scim error = %+v", se)
	}
	msg := err.Error()
	if !strings.Contains(msg, "365 days") || !strings.Contains(msg, "regenerated") {
		t.Errorf("message %q does not explain token expiry", msg)
	}
	if strings.Contains(msg, wrong) || strings.Contains(fmt.Sprintf("%+v %#v %v", c, c, c), wrong) {
		t.Errorf("token printed")
	}
	if err := c.TestConnection(t.Context()); !errors.Is(err, druva.ErrUnauthorized) {
		t.Errorf("TestConnection: %v", err)
	}
	if got := srv.Stats().Unauthorized; got != 2 {
		t.Errorf("server saw %d unauthorised requests, want 2 (no retries on 401)", got)
	}
}

func TestServerRejectsChangeBreakingRules(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	u, err := c.CreateUser(t.Context(), user(1))
	if err != nil {
		t.Fatal(err)
	}
	err = c.PatchUser(t.Context(), u.ID(), scim.PatchOperation{Op: "remove", Path: "displayName"})
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || !strings.Contains(se.Detail, "displayName") {
		t.Errorf("removing displayName: %v", err)
	}
	if err := c.PatchUser(t.Context(), u.ID(), scim.PatchOperation{Op: "frobnicate", Path: "x"}); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("bad op: %v", err)
	}
	if err := c.PatchUser(t.Context(), u.ID(), scim.PatchOperation{Op: "remove"}); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("remove without path: %v", err)
	}
	if err := c.PatchUser(t.Context(), u.ID()); err != nil {
		t.Errorf("no operations: %v", err)
	}
}

func TestPatchEntraDialect(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	u, err := c.CreateUser(t.Context(), user(1))
	if err != nil {
		t.Fatal(err)
	}
	err = c.PatchUser(t.Context(), u.ID(),
		scim.PatchOperation{Op: "Replace", Path: `emails[type eq "work"].value`, Value: "new@example.com"},
		scim.PatchOperation{Op: "Replace", Path: "name.familyName", Value: "Lovelace"},
		scim.PatchOperation{Op: "Add", Path: "department", Value: "Finance"},
		scim.PatchOperation{Op: "Replace", Path: "active", Value: "False"},
	)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUser(t.Context(), u.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Email() != "new@example.com" {
		t.Errorf("email = %q", got.Email())
	}
	if v, _ := got.Get("name.familyName"); v != "Lovelace" {
		t.Errorf("familyName = %v", v)
	}
	if active, ok := got.Active(); !ok || active {
		t.Errorf("active = %v, %v", active, ok)
	}
	if st, err := srv.State(u.ID()); err != nil || !st.Preserved {
		t.Errorf("state = %+v, %v", st, err)
	}
	// Path-less replace with dotted keys (Entra's compliant mode).
	err = c.PatchUser(t.Context(), u.ID(), scim.PatchOperation{Op: "replace", Value: map[string]any{
		"displayName": "Ada L.", "name.givenName": "Ada", "active": true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = c.GetUser(t.Context(), u.ID())
	if got.DisplayName() != "Ada L." {
		t.Errorf("displayName = %q", got.DisplayName())
	}
	if v, _ := got.Get("name.givenName"); v != "Ada" {
		t.Errorf("givenName = %v", v)
	}
	if st, _ := srv.State(u.ID()); st.Preserved {
		t.Errorf("user still preserved after active true")
	}
}

func TestDisableAndDeletePreserve(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	a, _ := c.CreateUser(t.Context(), user(1))
	b, _ := c.CreateUser(t.Context(), user(2))
	if err := c.DisableUser(t.Context(), a.ID()); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(t.Context(), b.ID()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID(), b.ID()} {
		got, err := c.GetUser(t.Context(), id)
		if err != nil {
			t.Fatalf("preserved user %s not readable: %v", id, err)
		}
		if active, ok := got.Active(); !ok || active {
			t.Errorf("%s: active = %v", id, active)
		}
		if st, _ := srv.State(id); !st.Preserved {
			t.Errorf("%s not preserved", id)
		}
	}
	var n int
	for _, err := range c.ListUsers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("listed %d users, want the 2 preserved ones", n)
	}
	reqs := srv.Requests()
	if r := reqs[2]; r.Method != "PATCH" || r.Status != 200 {
		t.Errorf("disable request = %+v", r)
	}
	if err := c.EnableUser(t.Context(), a.ID()); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetUser(t.Context(), a.ID()); fmt.Sprint(got["active"]) != "true" {
		t.Errorf("enable: active = %v", got["active"])
	}
}

func TestReplaceUser(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	u, _ := c.CreateUser(t.Context(), user(1))
	next := user(1)
	next["displayName"] = "Replaced"
	delete(next, "externalId")
	got, err := c.ReplaceUser(t.Context(), u.ID(), next)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName() != "Replaced" || got.ExternalID() != "" || got.ID() != u.ID() {
		t.Errorf("replaced = %v", got)
	}
	next["id"] = "other"
	if _, err := c.ReplaceUser(t.Context(), u.ID(), next); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("mismatched id: %v", err)
	}
	delete(next, "id")
	delete(next, "displayName")
	if _, err := c.ReplaceUser(t.Context(), u.ID(), next); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("missing displayName: %v", err)
	}
}

func TestFindUsers(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for i := range 5 {
		if _, err := c.CreateUser(t.Context(), user(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		attr, value string
		want        int
	}{
		{"userName", "USER3@EXAMPLE.COM", 1},
		{"externalId", "ext-2", 1},
		{`emails[type eq "work"].value`, "user4@example.com", 1},
		{"userName", "nobody@example.com", 0},
		{"userName", `x" or userName pr or userName eq "`, 0},
		{"userName", `\" or true`, 0},
	} {
		got, err := c.FindUsers(t.Context(), tc.attr, tc.value)
		if err != nil {
			t.Errorf("FindUsers(%s, %q): %v", tc.attr, tc.value, err)
			continue
		}
		if len(got) != tc.want {
			t.Errorf("FindUsers(%s, %q) = %d users, want %d", tc.attr, tc.value, len(got), tc.want)
		}
	}
	if _, err := c.FindUsers(t.Context(), "bad attr!", "x"); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("bad attribute: %v", err)
	}
	if last := srv.Requests()[len(srv.Requests())-1]; !strings.Contains(last.Query, "filter=") {
		t.Errorf("last request %+v has no filter", last)
	}
}

func TestListUsersPagesAndCopesWithCappedCount(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []druvatest.Option{druvatest.WithMaxPageSize(7)}, druva.WithPageSize(10))
	var want []string
	for i := range 25 {
		u, err := c.CreateUser(t.Context(), user(i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID())
	}
	before := srv.RequestCount(http.MethodGet)
	var got []string
	for u, err := range c.ListUsers(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u.ID())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed ids (-want +got):\n%s", diff)
	}
	if pages := srv.RequestCount(http.MethodGet) - before; pages != 4 {
		t.Errorf("%d list requests, want 4 (pages of 7)", pages)
	}
	// A consumer that stops early stops the paging.
	before = srv.RequestCount(http.MethodGet)
	for range c.ListUsers(t.Context()) {
		break
	}
	if n := srv.RequestCount(http.MethodGet) - before; n != 1 {
		t.Errorf("%d requests after an early break, want 1", n)
	}
}

func TestListUsersEmpty(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	for u, err := range c.ListUsers(t.Context()) {
		t.Errorf("empty service yielded %v, %v", u, err)
	}
}

func TestTestConnection(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	if _, err := c.CreateUser(t.Context(), user(1)); err != nil {
		t.Fatal(err)
	}
	if err := c.TestConnection(t.Context()); err != nil {
		t.Fatal(err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Method != "GET" || last.Path != "/Users" || !strings.Contains(last.Query, "userName") {
		t.Errorf("test connection request = %+v", last)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	d, err := c.Discover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d.ServiceProviderConfig == nil || len(d.ResourceTypes) != 1 || len(d.Schemas) == 0 || d.Groups || !d.Patch || !d.Filter || d.MaxResults != druvatest.DefaultMaxPageSize {
		t.Errorf("discovery = %+v", d)
	}
	if ok, err := c.GroupsOffered(t.Context()); ok || err != nil {
		t.Errorf("GroupsOffered = %v, %v", ok, err)
	}

	_, bare, _ := setup(t, []druvatest.Option{druvatest.WithoutDiscovery()})
	d, err = bare.Discover(t.Context())
	if err != nil {
		t.Fatalf("discovery not offered must not be an error: %v", err)
	}
	if d.ServiceProviderConfig != nil || d.ResourceTypes != nil || len(d.Missing) != 3 {
		t.Errorf("discovery without endpoints = %+v", d)
	}
	if _, err := bare.CreateUser(t.Context(), user(1)); err != nil {
		t.Errorf("users work without discovery: %v", err)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []druvatest.Option{druvatest.WithGroupsEndpoint(true)})
	if ok, err := c.GroupsOffered(t.Context()); !ok || err != nil {
		t.Fatalf("GroupsOffered = %v, %v", ok, err)
	}
	var ids []string
	for i := range 250 {
		u, err := srv.SeedUsers(user(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u[0].ID())
	}
	g, err := c.CreateGroup(t.Context(), scim.Resource{"displayName": "Engineering", "externalId": "grp-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(t.Context(), scim.Resource{"displayName": "engineering"}); !errors.Is(err, druva.ErrConflict) {
		t.Errorf("duplicate group: %v", err)
	}
	patches := srv.RequestCount(http.MethodPatch)
	if err := c.PatchGroupMembers(t.Context(), g.ID(), ids, nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.RequestCount(http.MethodPatch) - patches; n != 3 {
		t.Errorf("250 members took %d PATCH requests, want 3", n)
	}
	if err := c.PatchGroupMembers(t.Context(), g.ID(), nil, ids[:120]); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetGroup(t.Context(), g.ID())
	if err != nil {
		t.Fatal(err)
	}
	members, _ := got.Get("members")
	if n := len(members.([]any)); n != 130 {
		t.Errorf("group has %d members, want 130", n)
	}
	if err := c.PatchGroupMembers(t.Context(), g.ID(), []string{"no-such-user"}, nil); err == nil {
		t.Errorf("adding an unknown user succeeded")
	}
	var listed []scim.Resource
	for r, err := range c.ListGroups(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, r)
	}
	if len(listed) != 1 || listed[0]["members"] != nil {
		t.Errorf("ListGroups = %v (members must be excluded)", listed)
	}
	if err := c.DeleteGroup(t.Context(), g.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetGroup(t.Context(), g.ID()); !errors.Is(err, druva.ErrNotFound) {
		t.Errorf("deleted group: %v", err)
	}
	if _, err := c.CreateGroup(t.Context(), scim.Resource{}); !errors.Is(err, druva.ErrInvalid) {
		t.Errorf("group without displayName: %v", err)
	}
}

func TestGroupsUnsupported(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	if _, err := c.CreateGroup(t.Context(), scim.Resource{"displayName": "x"}); !errors.Is(err, druva.ErrGroupsUnsupported) {
		t.Errorf("CreateGroup: %v", err)
	}
	for _, err := range c.ListGroups(t.Context()) {
		if !errors.Is(err, druva.ErrGroupsUnsupported) {
			t.Errorf("ListGroups: %v", err)
		}
	}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/Groups") {
			t.Errorf("request to %s on a users-only tenant", r.Path)
		}
	}
	// Configuration overrides discovery.
	_, forced, _ := setup(t, []druvatest.Option{druvatest.WithGroupsEndpoint(true)}, druva.WithGroupsEndpoint(false))
	if _, err := forced.GetGroup(t.Context(), "g"); !errors.Is(err, druva.ErrGroupsUnsupported) {
		t.Errorf("WithGroupsEndpoint(false): %v", err)
	}
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		token string
		opts  []druva.Option
	}{
		"empty token":      {"", nil},
		"http base URL":    {"t", []druva.Option{druva.WithBaseURL("http://apis.druva.com/insync/scim")}},
		"relative URL":     {"t", []druva.Option{druva.WithBaseURL("/scim")}},
		"nil http client":  {"t", []druva.Option{druva.WithHTTPClient(nil)}},
		"negative rate":    {"t", []druva.Option{druva.WithRateLimit(-1, 1)}},
		"rate no burst":    {"t", []druva.Option{druva.WithRateLimit(5, 0)}},
		"page size":        {"t", []druva.Option{druva.WithPageSize(0)}},
		"retry max":        {"t", []druva.Option{druva.WithRetryMax(-1)}},
		"max retry after":  {"t", []druva.Option{druva.WithMaxRetryAfter(0)}},
		"max body":         {"t", []druva.Option{druva.WithMaxBody(-1)}},
		"nil logger":       {"t", []druva.Option{druva.WithLogger(nil)}},
		"nil wait":         {"t", []druva.Option{druva.WithWait(nil)}},
		"nil clock":        {"t", []druva.Option{druva.WithClock(nil)}},
		"nil option":       {"t", []druva.Option{nil}},
		"token whitespace": {"a b", nil},
		"user agent":       {"t", []druva.Option{druva.WithUserAgent("")}},
		"backoff":          {"t", []druva.Option{druva.WithBackoff(0, 0)}},
	} {
		if _, err := druva.NewClient(tc.token, tc.opts...); err == nil {
			t.Errorf("%s: NewClient succeeded", name)
		}
	}
	c, err := druva.NewClient("tok", druva.WithBaseURL(druva.GovCloudBaseURL), druva.WithHTTPClient(&http.Client{}))
	if err != nil || c.BaseURL() != druva.GovCloudBaseURL+"/" || c.RateLimit() != druva.DefaultRateLimit {
		t.Errorf("NewClient = %v, %v (rate %v)", c, err, c.RateLimit())
	}
}

// TestRequestBodiesAreEncodingJSON: the bodies the client sends for users,
// encoded without reflection from pooled buffers, are byte for byte what
// encoding/json makes of the same user, with "schemas" added, for users
// sent concurrently; HTML-sensitive characters, line separators and exact
// numbers included.
func TestRequestBodiesAreEncodingJSON(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var u map[string]any
		_ = json.Unmarshal(b, &u)
		name, _ := u["userName"].(string)
		mu.Lock()
		got[name] = b
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"id":%q}`, name)
	}))
	t.Cleanup(srv.Close)
	c, err := druva.NewClient("tok", druva.WithBaseURL(srv.URL), druva.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	users := make([]scim.Resource, 20)
	for i := range users {
		users[i] = scim.Resource{
			"schemas":     []any{scim.UserSchema},
			"userName":    fmt.Sprintf("u%d@example.com", i),
			"displayName": fmt.Sprintf("<Ann & Bob> \u2028%d\t\"quoted\"", i),
			"emails":      []any{map[string]any{"value": fmt.Sprintf("u%d@example.com", i), "type": "work", "primary": true}},
			"name":        map[string]any{"givenName": "Ann", "familyName": nil},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": fmt.Sprint(i), "costCenter": json.Number(fmt.Sprintf("%d.50", i))},
		}
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			if _, err := c.CreateUser(t.Context(), u); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, u := range users {
		want, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if b := got[u.UserName()]; !bytes.Equal(b, want) {
			t.Errorf("body of %s:\n got %s\nwant %s", u.UserName(), b, want)
		}
	}
}
