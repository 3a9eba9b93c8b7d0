package druvatest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/internal/fakeclock"
	"github.com/druvascim/druvascim/scim"
)

// start runs a fake Druva on a fake clock: its latency sleeps advance the
// clock instead of sleeping.
func start(t *testing.T, opts ...druvatest.Option) (*druvatest.Server, *fakeclock.Clock) {
	t.Helper()
	ft := fakeclock.New(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC))
	srv, err := druvatest.NewServer(append([]druvatest.Option{druvatest.WithClock(ft.Now), druvatest.WithSleep(ft.Wait)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, ft
}

// do sends a raw request with the server's token (or tok when given).
func do(t *testing.T, srv *druvatest.Server, method, path, body string, tok ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	token := srv.Token
	if len(tok) > 0 {
		token = tok[0]
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header, m
}

const ada = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Ada@Example.com","displayName":"Ada","externalId":"ada","emails":[{"value":"ada@example.com","type":"work","primary":true}],"active":true,"department":"Finance"}`

func TestCreateRules(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	code, hdr, body := do(t, srv, "POST", "/Users", ada)
	if code != 201 || body["id"] == nil || !strings.HasSuffix(hdr.Get("Location"), "/Users/"+fmt.Sprint(body["id"])) {
		t.Fatalf("create = %d %v %v", code, hdr, body)
	}
	if body["department"] != "Finance" {
		t.Errorf("free-form attribute lost: %v", body)
	}
	for name, tc := range map[string]struct {
		body   string
		status int
		detail string
	}{
		"same userName other case": {strings.Replace(strings.Replace(ada, "Ada@Example.com", "ADA@example.COM", 1), "ada@example.com", "other@example.com", 1), 409, "userName"},
		"same email":               {strings.Replace(ada, "Ada@Example.com", "ada2", 1), 409, "email"},
		"no displayName":           {`{"userName":"b","emails":[{"value":"b@x"}]}`, 400, "displayName"},
		"no email":                 {`{"userName":"b","displayName":"B"}`, 400, "email"},
		"no userName":              {`{"displayName":"B","emails":[{"value":"b@x"}]}`, 400, "userName"},
		"not JSON":                 {`userName=b`, 400, "JSON"},
		"bad active":               {`{"userName":"b","displayName":"B","emails":[{"value":"b@x"}],"active":"maybe"}`, 400, "active"},
	} {
		code, _, body := do(t, srv, "POST", "/Users", tc.body)
		if code != tc.status || !strings.Contains(fmt.Sprint(body["detail"]), tc.detail) {
			t.Errorf("%s: %d %v, want %d mentioning %q", name, code, body, tc.status, tc.detail)
		}
		if tc.status == 409 && body["scimType"] != "uniqueness" {
			t.Errorf("%s: scimType %v", name, body["scimType"])
		}
	}
	if srv.Len() != 1 {
		t.Errorf("%d users after rejected creates", srv.Len())
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, druvatest.WithToken("right"))
	for _, tok := range []string{"", "wrong", "righ", "rightt"} {
		code, hdr, _ := do(t, srv, "GET", "/Users", "", tok)
		if code != 401 || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d", tok, code)
		}
	}
	if code, _, _ := do(t, srv, "GET", "/ServiceProviderConfig", "", "wrong"); code != 401 {
		t.Errorf("discovery without a token: %d", code)
	}
	if st := srv.Stats(); st.Unauthorized != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestEntraPatchDialect(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	_, _, u := do(t, srv, "POST", "/Users", ada)
	id := fmt.Sprint(u["id"])
	for _, step := range []struct{ name, body string }{
		{"legacy disable", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		{"compliant enable", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`},
		{"work email", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada.l@example.com"}]}`},
		{"path-less dotted", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Ada L","name.givenName":"Ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}]}`},
	} {
		if code, _, body := do(t, srv, "PATCH", "/Users/"+id, step.body); code != 200 {
			t.Errorf("%s: %d %v", step.name, code, body)
		}
		if step.name == "legacy disable" {
			if st, _ := srv.State(id); !st.Preserved {
				t.Errorf("legacy disable did not preserve the user")
			}
		}
	}
	got, err := srv.User(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email() != "ada.l@example.com" || got.DisplayName() != "Ada L" {
		t.Errorf("after patches: %v", got)
	}
	if v, _ := got.Get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"); v != "7" {
		t.Errorf("employeeNumber = %v", v)
	}
	if a, _ := got.Active(); !a {
		t.Errorf("active = false after enable")
	}
	for name, body := range map[string]string{
		"no schemas":   `{"Operations":[{"op":"replace","path":"active","value":false}]}`,
		"bad op":       `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"merge","path":"active","value":false}]}`,
		"bad path":     `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}`,
		"not JSON":     `nope`,
		"change id":    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"id","value":"other"}]}`,
		"drop emails":  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails"}]}`,
		"bad bool str": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"perhaps"}]}`,
	} {
		if code, _, body := do(t, srv, "PATCH", "/Users/"+id, body); code != 400 {
			t.Errorf("%s: %d %v, want 400", name, code, body)
		}
	}
	if code, _, _ := do(t, srv, "PATCH", "/Users/nope", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`); code != 404 {
		t.Errorf("patch unknown user: %d", code)
	}
}

func TestDeletePreserves(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	_, _, u := do(t, srv, "POST", "/Users", ada)
	id := fmt.Sprint(u["id"])
	if code, _, _ := do(t, srv, "DELETE", "/Users/"+id, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	code, _, got := do(t, srv, "GET", "/Users/"+id, "")
	if code != 200 || got["active"] != false {
		t.Errorf("after delete: %d %v", code, got)
	}
	if st, err := srv.State(id); err != nil || !st.Preserved {
		t.Errorf("state %+v %v", st, err)
	}
	// Preserved users still hold their userName.
	if code, _, _ := do(t, srv, "POST", "/Users", ada); code != 409 {
		t.Errorf("re-create of a preserved user: %d, want 409", code)
	}
	if code, _, _ := do(t, srv, "DELETE", "/Users/nope", ""); code != 404 {
		t.Errorf("delete unknown: %d", code)
	}
}

func TestMappings(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, druvatest.WithMappings(
		druvatest.Mapping{Profile: "Finance", Attribute: "department", Values: []string{"Finance", "Accounting"}},
		druvatest.Mapping{Profile: "Contoso", Attribute: "companyName", Values: []string{"Contoso, Ltd"}},
	))
	code, _, body := do(t, srv, "POST", "/Users", strings.Replace(ada, `"Finance"`, `"finance"`, 1))
	if code != 400 || body["detail"] != "None of the SCIM Mapping matched to create user" {
		t.Errorf("case-different value: %d %v", code, body)
	}
	code, _, body = do(t, srv, "POST", "/Users", ada)
	if code != 201 {
		t.Fatalf("matching user: %d %v", code, body)
	}
	if st, _ := srv.State(fmt.Sprint(body["id"])); st.Profile != "Finance" {
		t.Errorf("profile = %q", st.Profile)
	}
	ext := `{"userName":"c","displayName":"C","emails":[{"value":"c@x"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Accounting"}}`
	if code, _, body := do(t, srv, "POST", "/Users", ext); code != 201 {
		t.Errorf("department in the enterprise extension: %d %v", code, body)
	}
	comp := `{"userName":"d","displayName":"D","emails":[{"value":"d@x"}],"companyName":"Contoso, Ltd"}`
	code, _, body = do(t, srv, "POST", "/Users", comp)
	if st, _ := srv.State(fmt.Sprint(body["id"])); code != 201 || st.Profile != "Contoso" {
		t.Errorf("companyName mapping: %d %v %+v", code, body, st)
	}
	if _, err := srv.SeedUsers(scim.Resource{"userName": "e", "displayName": "E", "emails": []any{map[string]any{"value": "e@x"}}}); err == nil || !strings.Contains(err.Error(), "None of the SCIM Mapping") {
		t.Errorf("seeding an unmatched user: %v", err)
	}
	if _, err := druvatest.NewServer(druvatest.WithMappings(druvatest.Mapping{Attribute: "x", Values: []string{"y"}})); err == nil {
		t.Errorf("mapping without profile accepted")
	}
}

func TestListPagingAndFilters(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, druvatest.WithMaxPageSize(3))
	var seeds []scim.Resource
	for i := range 8 {
		seeds = append(seeds, scim.Resource{"userName": fmt.Sprintf("U%d", i), "displayName": "x", "externalId": fmt.Sprint(i % 2),
			"emails": []any{map[string]any{"value": fmt.Sprintf("u%d@x", i), "type": "work"}}})
	}
	if _, err := srv.SeedUsers(seeds...); err != nil {
		t.Fatal(err)
	}
	code, _, body := do(t, srv, "GET", "/Users?startIndex=4&count=50", "")
	res, _ := body["Resources"].([]any)
	if code != 200 || body["totalResults"] != 8.0 || len(res) != 3 || res[0].(map[string]any)["userName"] != "U3" {
		t.Errorf("page = %d %v", code, body)
	}
	for filter, want := range map[string]float64{
		`userName eq "u5"`:                      1,
		`externalId eq "1"`:                     4,
		`emails[value eq "U2@X"]`:               1,
		`userName eq "nobody"`:                  0,
		`id eq "user-00000002"`:                 1,
		`externalId eq "2"`:                     0,
		`EXTERNALID eq "0"`:                     4,
		`userName sw "U" and externalId eq "0"`: 4,
	} {
		code, _, body := do(t, srv, "GET", "/Users?filter="+urlQuery(filter), "")
		if code != 200 || body["totalResults"] != want {
			t.Errorf("filter %s: %d %v, want %v", filter, code, body["totalResults"], want)
		}
	}
	if code, _, body := do(t, srv, "GET", "/Users?filter="+urlQuery(`userName eq`), ""); code != 400 || body["scimType"] != "invalidFilter" {
		t.Errorf("bad filter: %d %v", code, body)
	}
	if srv.Users()[0].UserName() != "U0" || len(srv.Users()) != 8 {
		t.Errorf("Users() order")
	}
	if _, err := srv.UserByName("u7"); err != nil {
		t.Errorf("UserByName: %v", err)
	}
	if _, err := srv.User("nope"); !errors.Is(err, druvatest.ErrNotFound) {
		t.Errorf("User(nope): %v", err)
	}
	if _, err := srv.State("nope"); !errors.Is(err, druvatest.ErrNotFound) {
		t.Errorf("State(nope): %v", err)
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "[", "%5B", "]", "%5D").Replace(s)
}

func TestDiscoveryAndGroupsOff(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	code, _, body := do(t, srv, "GET", "/ResourceTypes", "")
	if code != 200 || body["totalResults"] != 1.0 {
		t.Errorf("resource types: %d %v", code, body)
	}
	if code, _, _ := do(t, srv, "POST", "/Groups", `{"displayName":"g"}`); code != 404 {
		t.Errorf("groups on a users-only fake: %d", code)
	}
	bare, _ := start(t, druvatest.WithoutDiscovery())
	for _, p := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"} {
		if code, _, _ := do(t, bare, "GET", p, ""); code != 404 {
			t.Errorf("%s without discovery: %d", p, code)
		}
	}
	if code, _, _ := do(t, srv, "GET", "/../etc", ""); code != 404 {
		t.Errorf("path outside the base: %d", code)
	}
}

func TestGroupsRaw(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, druvatest.WithGroupsEndpoint(true))
	us, err := srv.SeedUsers(scim.Resource{"userName": "a", "displayName": "A", "emails": []any{map[string]any{"value": "a@x"}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := srv.SeedGroup(scim.Resource{"displayName": "Team"})
	if err != nil {
		t.Fatal(err)
	}
	gid := g.ID()
	add := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":%q}]}]}`, us[0].ID())
	if code, _, _ := do(t, srv, "PATCH", "/Groups/"+gid, add); code != 204 {
		t.Errorf("add member: %d", code)
	}
	code, _, body := do(t, srv, "GET", "/Groups/"+gid+"?excludedAttributes=members", "")
	if code != 200 || body["members"] != nil {
		t.Errorf("get without members: %d %v", code, body)
	}
	// Entra's legacy removal by value list.
	rm := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":%q}]}]}`, us[0].ID())
	if code, _, _ := do(t, srv, "PATCH", "/Groups/"+gid, rm); code != 204 {
		t.Errorf("remove member: %d", code)
	}
	if gs := srv.Groups(); len(gs) != 1 {
		t.Errorf("groups %v", gs)
	} else if m, _ := gs[0].Get("members"); len(asList(m)) != 0 {
		t.Errorf("members after removal: %v", m)
	}
	if code, _, _ := do(t, srv, "DELETE", "/Groups/"+gid, ""); code != 204 {
		t.Errorf("delete group: %d", code)
	}
	if code, _, _ := do(t, srv, "GET", "/Groups/"+gid, ""); code != 404 {
		t.Errorf("deleted group: %d", code)
	}
	noGroups, _ := start(t)
	if _, err := noGroups.SeedGroup(scim.Resource{"displayName": "x"}); err == nil {
		t.Errorf("SeedGroup without groups succeeded")
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func TestResponseLostAppliesWrite(t *testing.T) {
	t.Parallel()
	srv, _ := start(t, druvatest.WithFaults(druvatest.Faults{ResponseLost: 1}))
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/Users", strings.NewReader(ada))
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d) where it should be lost", resp.StatusCode)
	}
	if srv.Len() != 1 || srv.Stats().Lost != 1 {
		t.Errorf("write not applied: %d users, %+v", srv.Len(), srv.Stats())
	}
	if r := srv.Requests()[0]; r.Fault != "response lost" || r.Status != 0 {
		t.Errorf("log entry %+v", r)
	}
	// Reads are never lost.
	if code, _, _ := do(t, srv, "GET", "/Users", ""); code != 200 {
		t.Errorf("read under ResponseLost: %d", code)
	}
}

func TestInjected429And5xxAndLatency(t *testing.T) {
	t.Parallel()
	srv, ft := start(t, druvatest.WithFaults(druvatest.Faults{TooManyRequests: 1, RetryAfter: 1500 * time.Millisecond, Latency: time.Second, LatencyRate: 1}))
	code, hdr, body := do(t, srv, "GET", "/Users", "")
	if code != 429 || hdr.Get("Retry-After") != "2" || body["status"] != "429" {
		t.Errorf("injected 429: %d %v %v", code, hdr, body)
	}
	if sleeps := ft.Waits(); len(sleeps) != 1 || sleeps[0] != time.Second {
		t.Errorf("latency sleeps %v", sleeps)
	}
	if err := srv.SetFaults(druvatest.Faults{ServerErrors: 1}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do(t, srv, "GET", "/Users", ""); code != 500 && code != 502 && code != 503 {
		t.Errorf("injected 5xx: %d", code)
	}
	st := srv.Stats()
	if st.Injected429 != 1 || st.Injected5xx != 1 || st.Delayed != 1 || st.ByMethod["GET"] != 2 {
		t.Errorf("stats %+v", st)
	}
	for _, bad := range []druvatest.Faults{{TooManyRequests: 2}, {ServerErrors: -1}, {TooManyRequests: 0.6, ServerErrors: 0.6}, {Latency: -1}} {
		if err := srv.SetFaults(bad); err == nil {
			t.Errorf("SetFaults(%+v) accepted", bad)
		}
	}
}

func TestServerRateLimit(t *testing.T) {
	t.Parallel()
	srv, ft := start(t, druvatest.WithRateLimit(2, 2))
	var codes []int
	for range 3 {
		c, _, _ := do(t, srv, "GET", "/Users", "")
		codes = append(codes, c)
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Errorf("codes %v", codes)
	}
	_, hdr, _ := do(t, srv, "GET", "/Users", "")
	if hdr.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", hdr.Get("Retry-After"))
	}
	ft.Advance(500 * time.Millisecond)
	if c, _, _ := do(t, srv, "GET", "/Users", ""); c != 200 {
		t.Errorf("after a token refilled: %d", c)
	}
	if st := srv.Stats(); st.Throttled != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestServerRateLimitHeadersAndChange(t *testing.T) {
	t.Parallel()
	srv, ft := start(t, druvatest.WithRateLimit(4, 2), druvatest.WithRateLimitHeaders())
	_, hdr, _ := do(t, srv, "GET", "/Users", "")
	want := map[string]string{"RateLimit-Policy": `"bucket";q=4;w=1`, "RateLimit": `"bucket";r=1;t=0`,
		"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "0"}
	for k, v := range want {
		if hdr.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), v)
		}
	}
	do(t, srv, "GET", "/Users", "")
	c, hdr, _ := do(t, srv, "GET", "/Users", "")
	if c != 429 || hdr.Get("RateLimit") != `"bucket";r=0;t=1` || hdr.Get("Retry-After") != "1" {
		t.Errorf("empty bucket: %d %v", c, hdr)
	}
	if err := srv.SetRateLimit(1); err != nil {
		t.Fatal(err)
	}
	ft.Advance(500 * time.Millisecond) // a token at 4/s, half of one at 1/s
	if c, hdr, _ := do(t, srv, "GET", "/Users", ""); c != 429 || hdr.Get("RateLimit-Policy") != `"bucket";q=1;w=1` {
		t.Errorf("after lowering the rate: %d %v", c, hdr)
	}
	if err := srv.SetRateLimit(0); err == nil {
		t.Error("SetRateLimit(0) accepted")
	}
	plain, _ := start(t)
	if err := plain.SetRateLimit(5); err == nil {
		t.Error("SetRateLimit on a server without a limit accepted")
	}
}

func TestConcurrentCreatesKeepUniqueness(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	var wg sync.WaitGroup
	codes := make([]int, 40)
	for i := range 40 {
		wg.Go(func() {
			// 20 distinct users, each created twice concurrently.
			body := fmt.Sprintf(`{"userName":"u%d","displayName":"U","emails":[{"value":"u%d@x"}]}`, i%20, i%20)
			req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/Users", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+srv.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	created, conflicts := 0, 0
	for _, c := range codes {
		switch c {
		case 201:
			created++
		case 409:
			conflicts++
		}
	}
	if created != 20 || conflicts != 20 || srv.Len() != 20 {
		t.Errorf("created %d, conflicts %d, stored %d", created, conflicts, srv.Len())
	}
	if n := len(srv.Requests()); n != 40 {
		t.Errorf("request log has %d entries", n)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]druvatest.Option{
		"token":     druvatest.WithToken("a b"),
		"page size": druvatest.WithMaxPageSize(0),
		"rate":      druvatest.WithRateLimit(5, 0),
		"clock":     druvatest.WithClock(nil),
		"sleep":     druvatest.WithSleep(nil),
		"faults":    druvatest.WithFaults(druvatest.Faults{ResponseLost: 3}),
		"addr":      druvatest.WithAddr(""),
		"nil":       nil,
	} {
		if s, err := druvatest.NewServer(o); err == nil {
			s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	if srv, err := druvatest.NewServer(druvatest.WithMaxPageSize(-1)); err == nil || srv != nil {
		t.Errorf("NewServer with a bad option = %v, %v; want nil and an error", srv, err)
	}
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	srv, err := druvatest.NewServer(druvatest.WithAddr("127.0.0.1:0"), druvatest.WithToken("tok"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.HasSuffix(srv.URL, druvatest.BasePath) || srv.Token != "tok" {
		t.Errorf("URL %q token %q", srv.URL, srv.Token)
	}
	if err := srv.Client().TestConnection(t.Context()); err != nil {
		t.Error(err)
	}
}
