package entratest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/entra/entratest"
)

func newServer(t *testing.T, opts ...entratest.Option) *entratest.Server {
	t.Helper()
	s, err := entratest.NewServer(opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// call sends one request with the server's token and decodes the JSON answer.
func call(t *testing.T, s *entratest.Server, method, url, body string) (int, map[string]any) {
	t.Helper()
	if !strings.HasPrefix(url, "http") {
		url = s.GraphURL() + url
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return resp.StatusCode, m
}

// all follows nextLinks and returns every value and the final deltaLink.
func all(t *testing.T, s *entratest.Server, url string) ([]map[string]any, string) {
	t.Helper()
	var out []map[string]any
	for range 10000 {
		st, m := call(t, s, http.MethodGet, url, "")
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d %v", url, st, m)
		}
		vs, ok := m["value"].([]any)
		if !ok {
			t.Fatalf("GET %s: no value: %v", url, m)
		}
		for _, v := range vs {
			out = append(out, v.(map[string]any))
		}
		if next, ok := m["@odata.nextLink"].(string); ok {
			url = next
			continue
		}
		d, _ := m["@odata.deltaLink"].(string)
		return out, d
	}
	t.Fatal("too many pages")
	return nil, ""
}

func TestDeterministic(t *testing.T) {
	a := newServer(t, entratest.WithUsers(20_000), entratest.WithSeed(42))
	b := newServer(t, entratest.WithUsers(20_000), entratest.WithSeed(42))
	ia, ib := a.UserIDs(), b.UserIDs()
	if len(ia) != 20_000 || ia[0] != ib[0] || ia[19_999] != ib[19_999] || a.ServicePrincipalID != b.ServicePrincipalID {
		t.Fatal("same seed gave different tenants")
	}
	c := newServer(t, entratest.WithUsers(10), entratest.WithSeed(43))
	if c.UserIDs()[0] == ia[0] {
		t.Fatal("different seeds gave the same ids")
	}
}

func TestTenantIsUntidy(t *testing.T) {
	s := newServer(t, entratest.WithUsers(2000))
	var noMail, disabled, guests, long, diacritics int
	for _, id := range s.UserIDs() {
		u, err := s.User(id)
		if err != nil {
			t.Fatal(err)
		}
		if u["mail"] == nil {
			noMail++
		}
		if u["accountEnabled"] == false {
			disabled++
		}
		if u["userType"] == "Guest" {
			guests++
		}
		if len(u["displayName"].(string)) > 250 {
			long++
		}
		if strings.ContainsAny(u["displayName"].(string), "éëłøöçňấãåüğžšůñí") {
			diacritics++
		}
	}
	for name, n := range map[string]int{"no mail": noMail, "disabled": disabled, "guests": guests, "long names": long, "diacritics": diacritics} {
		if n == 0 {
			t.Errorf("no users with %s", name)
		}
	}
	var def, direct, grp int
	for _, a := range s.Assignments() {
		switch {
		case a.AppRoleID == entratest.DefaultAccessRoleID:
			def++
		case a.PrincipalType == "Group":
			grp++
		default:
			direct++
		}
	}
	if def == 0 || direct == 0 || grp == 0 {
		t.Errorf("assignments: default %d direct %d group %d", def, direct, grp)
	}
	nested := 0
	for _, g := range s.GroupIDs() {
		_, gs, err := s.GroupMembers(g)
		if err != nil {
			t.Fatal(err)
		}
		nested += len(gs)
	}
	if nested == 0 {
		t.Error("no nested groups")
	}
}

func TestAuth(t *testing.T) {
	s := newServer(t, entratest.WithUsers(3))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.GraphURL()+"/users", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || s.Stats().Unauthorized != 1 {
		t.Fatalf("status %d, stats %+v", resp.StatusCode, s.Stats())
	}
}

func TestPagingAndSelect(t *testing.T) {
	s := newServer(t, entratest.WithUsers(250))
	users, _ := all(t, s, "/users?$select=id,mail,accountEnabled&$top=40")
	if len(users) != 250 {
		t.Fatalf("got %d users, want 250", len(users))
	}
	seen := map[string]bool{}
	for _, u := range users {
		if len(u) != 3 {
			t.Fatalf("$select not honoured: %v", u)
		}
		seen[u["id"].(string)] = true
	}
	if len(seen) != 250 {
		t.Fatalf("duplicates: %d distinct", len(seen))
	}
	if st, m := call(t, s, http.MethodGet, "/users?$select=nonsense", ""); st != http.StatusBadRequest {
		t.Fatalf("unknown $select: %d %v", st, m)
	}
	if st, _ := call(t, s, http.MethodGet, "/users?$top=1000", ""); st != http.StatusBadRequest {
		t.Fatalf("$top=1000: %d", st)
	}
	asg, _ := all(t, s, "/servicePrincipals/"+s.ServicePrincipalID+"/appRoleAssignedTo?$top=7")
	if len(asg) != len(s.Assignments()) {
		t.Fatalf("assignments: %d over HTTP, %d in the fake", len(asg), len(s.Assignments()))
	}
	g := s.GroupIDs()[3]
	members, _ := all(t, s, "/groups/"+g+"/members?$top=5")
	users2, _ := all(t, s, "/groups/"+g+"/members/microsoft.graph.user?$top=5&$select=id,mail")
	wu, wg, _ := s.GroupMembers(g)
	if len(members) != len(wu)+len(wg) || len(users2) != len(wu) || len(wg) != 1 {
		t.Fatalf("members %d users %d; want %d+%d", len(members), len(users2), len(wu), len(wg))
	}
	_, m := call(t, s, http.MethodGet, "/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+s.AppID+"'"), "")
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != s.ServicePrincipalID {
		t.Fatalf("appId filter: %v", m)
	}
}

func TestUsersDelta(t *testing.T) {
	s := newServer(t, entratest.WithUsers(120))
	first, link := all(t, s, "/users/delta?$select=displayName,mail,accountEnabled")
	if len(first) != 120 || link == "" {
		t.Fatalf("initial round: %d users, link %q", len(first), link)
	}
	same, link2 := all(t, s, link)
	if len(same) != 0 {
		t.Fatalf("no change, got %v", same)
	}
	ids := s.UserIDs()
	if err := s.UpdateUser(ids[0], map[string]any{"displayName": "Renamed", "jobTitle": "CTO"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ids[1], map[string]any{"jobTitle": "untracked"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeUser(ids[3]); err != nil {
		t.Fatal(err)
	}
	nid, err := s.CreateUser(map[string]any{"userPrincipalName": "new@contoso.example", "displayName": "New Person"})
	if err != nil {
		t.Fatal(err)
	}
	changes, link3 := all(t, s, link2)
	got := map[string]string{}
	for _, c := range changes {
		id := c["id"].(string)
		switch {
		case c["@removed"] != nil:
			got[id] = "removed:" + c["@removed"].(map[string]any)["reason"].(string)
		default:
			got[id] = fmt.Sprint(len(c))
		}
	}
	want := map[string]string{ids[0]: "2", ids[2]: "removed:changed", ids[3]: "removed:deleted", nid: "4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	s.ExpireDeltaLinks()
	if st, m := call(t, s, http.MethodGet, link3, ""); st != http.StatusGone || m["error"].(map[string]any)["code"] != "SyncStateNotFound" {
		t.Fatalf("expired link: %d %v", st, m)
	}
	_, latest := all(t, s, "/users/delta?$deltatoken=latest&$select=mail")
	if err := s.RestoreUser(ids[2]); err != nil {
		t.Fatal(err)
	}
	back, _ := all(t, s, latest)
	if len(back) != 1 || back[0]["id"] != ids[2] || len(back[0]) != 2 {
		t.Fatalf("after restore: %v", back)
	}
}

func TestGroupsDeltaAndWrites(t *testing.T) {
	s := newServer(t, entratest.WithUsers(50), entratest.WithGroups(4))
	_, link := all(t, s, "/groups/delta?$select=displayName,members")
	g := s.GroupIDs()[0]
	u := s.UserIDs()[7]
	if st, m := call(t, s, http.MethodPost, "/groups/"+g+"/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u+`"}`); st != http.StatusNoContent {
		t.Fatalf("add member: %d %v", st, m)
	}
	if st, _ := call(t, s, http.MethodPost, "/groups/"+g+"/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+u+`"}`); st != http.StatusBadRequest {
		t.Fatalf("duplicate member: %d", st)
	}
	changes, link2 := all(t, s, link)
	if len(changes) != 1 || changes[0]["id"] != g {
		t.Fatalf("group changes: %v", changes)
	}
	md := changes[0]["members@delta"].([]any)
	if len(md) != 1 || md[0].(map[string]any)["id"] != u {
		t.Fatalf("members@delta: %v", md)
	}
	if st, _ := call(t, s, http.MethodDelete, "/groups/"+g+"/members/"+u+"/$ref", ""); st != http.StatusNoContent {
		t.Fatalf("remove member: %d", st)
	}
	changes, _ = all(t, s, link2)
	if r := changes[0]["members@delta"].([]any)[0].(map[string]any); r["@removed"] == nil {
		t.Fatalf("removal not reported: %v", r)
	}
	st, m := call(t, s, http.MethodPost, "/servicePrincipals/"+s.ServicePrincipalID+"/appRoleAssignedTo",
		`{"principalId":"`+u+`","resourceId":"`+s.ServicePrincipalID+`","appRoleId":"`+s.AppRoles()[1].ID+`"}`)
	if st != http.StatusCreated {
		t.Fatalf("assign: %d %v", st, m)
	}
	if st, _ := call(t, s, http.MethodDelete, "/servicePrincipals/"+s.ServicePrincipalID+"/appRoleAssignedTo/"+m["id"].(string), ""); st != http.StatusNoContent {
		t.Fatalf("unassign: %d", st)
	}
	if st, _ := call(t, s, http.MethodPatch, "/users/"+u, `{"accountEnabled":"yes"}`); st != http.StatusBadRequest {
		t.Fatalf("bad type accepted: %d", st)
	}
	if st, _ := call(t, s, http.MethodPatch, "/users/"+u, `{"accountEnabled":false}`); st != http.StatusNoContent {
		t.Fatalf("patch: %d", st)
	}
	if st, _ := call(t, s, http.MethodDelete, "/users/"+u, ""); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := call(t, s, http.MethodGet, "/users/"+u, ""); st != http.StatusNotFound {
		t.Fatalf("get deleted: %d", st)
	}
	if st, _ := call(t, s, http.MethodPost, "/directory/deletedItems/"+u+"/restore", ""); st != http.StatusOK {
		t.Fatalf("restore: %d", st)
	}
	if err := s.AddGroupMember(g, "nope"); !errors.Is(err, entratest.ErrNotFound) {
		t.Fatalf("AddGroupMember unknown: %v", err)
	}
}

func TestInjectedFaults(t *testing.T) {
	s := newServer(t, entratest.WithUsers(30), entratest.WithFaults(entratest.Faults{RetryAfter: 3 * time.Second}))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Inject(entratest.Throttle, 1))
	st, _ := call(t, s, http.MethodGet, "/users", "")
	if st != http.StatusTooManyRequests {
		t.Fatalf("want 429, got %d", st)
	}
	must(s.Inject(entratest.Unavailable, 1))
	if st, _ := call(t, s, http.MethodGet, "/users", ""); st != http.StatusServiceUnavailable {
		t.Fatalf("want 503, got %d", st)
	}
	must(s.Inject(entratest.MissingValue, 1))
	if _, m := call(t, s, http.MethodGet, "/users", ""); m["value"] != nil {
		t.Fatalf("value present: %v", m)
	}
	must(s.Inject(entratest.ForeignNextLink, 1))
	if _, m := call(t, s, http.MethodGet, "/users?$top=5", ""); !strings.HasPrefix(m["@odata.nextLink"].(string), "https://graph.foreign.invalid/") {
		t.Fatalf("nextLink %v", m["@odata.nextLink"])
	}
	_, link := all(t, s, "/users/delta")
	must(s.Inject(entratest.ExpiredDelta, 1))
	if st, _ := call(t, s, http.MethodGet, link, ""); st != http.StatusGone {
		t.Fatalf("want 410, got %d", st)
	}
	stats := s.Stats()
	if stats.Throttled != 1 || stats.Unavailable != 1 || stats.MissingValue != 1 || stats.ForeignLinks != 1 || stats.ExpiredDelta != 1 {
		t.Fatalf("stats %+v", stats)
	}
	if err := s.Inject(entratest.Fault(99), 1); err == nil {
		t.Fatal("unknown fault accepted")
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []entratest.Option{
		entratest.WithUsers(-1), entratest.WithToken("a b"), entratest.WithDomain("x@y"),
		entratest.WithFaults(entratest.Faults{Throttle: 2}), entratest.WithMaxPageSize(0),
		entratest.WithForeignHost("ftp://x"), entratest.WithAddr("nohostport"),
	} {
		if _, err := entratest.NewServer(o); err == nil {
			t.Errorf("option accepted")
		}
	}
}

// BenchmarkNewServer100k measures generating and starting a 100,000-user tenant.
func BenchmarkNewServer100k(b *testing.B) {
	for b.Loop() {
		s, err := entratest.NewServer(entratest.WithUsers(100_000))
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func TestConcurrentWritesAndReads(t *testing.T) {
	s := newServer(t, entratest.WithUsers(200))
	ids := s.UserIDs()
	groups := s.GroupIDs()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, id := range ids[:100] {
			if err := s.UpdateUser(id, map[string]any{"jobTitle": "T"}); err != nil {
				t.Error(err)
				return
			}
			_ = s.AddGroupMember(groups[i%len(groups)], ids[199-i%50])
			if i%10 == 0 {
				_ = s.DeleteUser(id)
			}
		}
	}()
	for range 5 {
		all(t, s, "/users/delta?$select=mail,jobTitle&$top=17")
		all(t, s, "/groups/delta?$select=members")
		all(t, s, "/servicePrincipals/"+s.ServicePrincipalID+"/appRoleAssignedTo")
	}
	<-done
}
