package entratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Handler returns the server's HTTP handler (authentication, fault
// injection and every /v1.0 endpoint), for mounting elsewhere.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/servicePrincipals", s.getServicePrincipals)
	mux.HandleFunc("GET /v1.0/servicePrincipals/{id}", s.getServicePrincipal)
	mux.HandleFunc("GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.getAssignedTo)
	mux.HandleFunc("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.postAssignedTo)
	mux.HandleFunc("DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{aid}", s.deleteAssignedTo)
	mux.HandleFunc("GET /v1.0/users", s.getUsers)
	mux.HandleFunc("POST /v1.0/users", s.postUser)
	mux.HandleFunc("GET /v1.0/users/delta", s.getUsersDelta)
	mux.HandleFunc("GET /v1.0/users/{id}", s.getUser)
	mux.HandleFunc("GET /v1.0/users/{id}/memberOf", s.getMemberOf)
	mux.HandleFunc("GET /v1.0/users/{id}/memberOf/{cast}", s.getMemberOf)
	mux.HandleFunc("GET /v1.0/users/{id}/transitiveMemberOf", s.getMemberOf)
	mux.HandleFunc("GET /v1.0/users/{id}/transitiveMemberOf/{cast}", s.getMemberOf)
	mux.HandleFunc("PATCH /v1.0/users/{id}", s.patchUser)
	mux.HandleFunc("DELETE /v1.0/users/{id}", s.deleteUser)
	mux.HandleFunc("POST /v1.0/directory/deletedItems/{id}/restore", s.restoreItem)
	mux.HandleFunc("DELETE /v1.0/directory/deletedItems/{id}", s.purgeItem)
	mux.HandleFunc("POST /v1.0/groups", s.postGroup)
	mux.HandleFunc("GET /v1.0/groups/delta", s.getGroupsDelta)
	mux.HandleFunc("GET /v1.0/groups/{id}", s.getGroup)
	mux.HandleFunc("GET /v1.0/groups/{id}/members", s.getMembers)
	mux.HandleFunc("GET /v1.0/groups/{id}/members/{cast}", s.getMembers)
	mux.HandleFunc("POST /v1.0/groups/{id}/members/$ref", s.postMember)
	mux.HandleFunc("DELETE /v1.0/groups/{id}/members/{mid}/$ref", s.deleteMember)
	var h http.Handler
	mux.HandleFunc("POST /v1.0/$batch", func(w http.ResponseWriter, r *http.Request) { s.batch(w, r, h) })
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() { s.record(r, rec.status, time.Since(start)) }()
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			graphError(rec, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
			return
		}
		if d, limited := s.throttle(r); limited {
			rec.Header().Set("Retry-After", strconv.Itoa(d))
			graphError(rec, http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Please retry after the time in Retry-After.")
			return
		}
		if r.Method == http.MethodGet {
			retry := strconv.Itoa(max(0, int(s.faults.RetryAfter.Seconds()+0.5)))
			if s.take(Throttle, s.faults.Throttle) {
				rec.Header().Set("Retry-After", retry)
				graphError(rec, http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Please retry after the time in Retry-After.")
				return
			}
			if s.take(Unavailable, s.faults.Unavailable) {
				rec.Header().Set("Retry-After", retry)
				graphError(rec, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
				return
			}
		}
		mux.ServeHTTP(rec, r)
	})
	return h
}

// MaxBatch is the largest number of requests in one JSON $batch, as in Graph.
const MaxBatch = 20

// batch serves POST /v1.0/$batch: up to MaxBatch GET requests, each run
// through the full handler (authentication, faults, counters), answered
// together. Only GET is supported inside a batch.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, h http.Handler) {
	var req struct {
		Requests []struct {
			ID     string            `json:"id"`
			Method string            `json:"method"`
			URL    string            `json:"url"`
			Header map[string]string `json:"headers"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload: "+err.Error())
		return
	}
	if len(req.Requests) == 0 || len(req.Requests) > MaxBatch {
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Number of batch requests must be between 1 and %d, got %d.", MaxBatch, len(req.Requests)))
		return
	}
	seen := map[string]bool{}
	out := make([]map[string]any, 0, len(req.Requests))
	for _, it := range req.Requests {
		if it.ID == "" || seen[it.ID] || it.Method != http.MethodGet || !strings.HasPrefix(it.URL, "/") {
			graphError(w, http.StatusBadRequest, "BadRequest", "Each batch request needs a unique id, method GET and a relative url.")
			return
		}
		seen[it.ID] = true
		inner := httptest.NewRequestWithContext(r.Context(), http.MethodGet, "/v1.0"+it.URL, nil)
		inner.Header.Set("Authorization", r.Header.Get("Authorization"))
		for k, v := range it.Header {
			inner.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, inner)
		hdr := map[string]any{}
		for k := range rec.Header() {
			hdr[k] = rec.Header().Get(k)
		}
		resp := map[string]any{"id": it.ID, "status": rec.Code, "headers": hdr}
		var body any
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			resp["body"] = body
		}
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "innerError": map[string]any{"request-id": "00000000-0000-0000-0000-00000000fa4e"},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		graphError(w, http.StatusInternalServerError, "generalException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errStatus maps a helper error to a Graph error answer.
func errStatus(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", err.Error())
	case errors.Is(err, ErrConflict):
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
	default:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
	}
}

// pageToken is the server state carried in $skiptoken and $deltatoken.
type pageToken struct {
	K   string `json:"k"`            // endpoint kind
	ID  string `json:"id,omitempty"` // group id for member listings
	S   uint64 `json:"s,omitempty"`  // delta: changes after this seq; 0 = full round
	U   uint64 `json:"u,omitempty"`  // delta: the seq this round started at
	E   uint64 `json:"e,omitempty"`  // delta: epoch
	P   int    `json:"p,omitempty"`  // position
	N   int    `json:"n"`            // page size
	Sel string `json:"sel,omitempty"`
	Cst bool   `json:"c,omitempty"` // member listing cast to users
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, kind string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.K != kind || t.N < 1 || t.P < 0 {
		return t, fmt.Errorf("invalid or foreign paging token")
	}
	return t, nil
}

// The properties the fake knows, per type (functions, so that no table is
// package-level mutable state).
func isUserProp(k string) bool {
	switch k {
	case "accountEnabled", "ageGroup", "businessPhones", "city", "companyName", "country",
		"createdDateTime", "department", "displayName", "employeeHireDate", "employeeId", "employeeType",
		"faxNumber", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation",
		"onPremisesImmutableId", "onPremisesSamAccountName", "onPremisesSyncEnabled", "otherMails",
		"postalCode", "preferredLanguage", "proxyAddresses", "showInAddressList", "state", "streetAddress",
		"surname", "usageLocation", "userPrincipalName", "userType":
		return true
	}
	return false
}

func isBoolProp(k string) bool {
	return k == "accountEnabled" || k == "showInAddressList" || k == "onPremisesSyncEnabled"
}

func isListProp(k string) bool {
	return k == "businessPhones" || k == "otherMails" || k == "proxyAddresses"
}

func isGroupProp(k string) bool {
	switch k {
	case "displayName", "description", "mailNickname", "securityEnabled", "mailEnabled", "members":
		return true
	}
	return false
}

func isAssignmentProp(k string) bool {
	switch k {
	case "id", "appRoleId", "principalId", "principalType", "principalDisplayName", "resourceId",
		"resourceDisplayName", "createdDateTime", "deletedDateTime":
		return true
	}
	return false
}

func isSPProp(k string) bool {
	switch k {
	case "id", "appId", "displayName", "appRoles", "servicePrincipalType", "accountEnabled":
		return true
	}
	return false
}

// userDefault is what Graph returns for a user without $select.
func userDefault() []string {
	return []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName"}
}

// groupDefault is what the fake returns for a group without $select.
func groupDefault() []string {
	return []string{"displayName", "description", "mailNickname", "securityEnabled", "mailEnabled"}
}

// parseSelect validates $select against the known properties of a type.
func parseSelect(raw string, known func(string) bool, typ string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var out []string
	for p := range strings.SplitSeq(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "id" {
			continue
		}
		if !known(p) {
			return nil, fmt.Errorf("could not find a property named '%s' on type 'microsoft.graph.%s'", p, typ)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// pageSize reads $top or Prefer: odata.maxpagesize.
func (s *Server) pageSize(r *http.Request) (int, error) {
	n := DefaultPageSize
	if v := r.URL.Query().Get("$top"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil || t < 1 || t > MaxPageSize {
			return 0, fmt.Errorf("invalid page size specified: '%s', must be between 1 and %d inclusive", v, MaxPageSize)
		}
		n = t
	} else if m := maxPageRe.FindStringSubmatch(r.Header.Get("Prefer")); m != nil {
		if t, err := strconv.Atoi(m[1]); err == nil && t >= 1 {
			n = min(t, MaxPageSize)
		}
	}
	return min(n, s.maxPage), nil
}

var maxPageRe = regexp.MustCompile(`odata\.maxpagesize=(\d+)`)

// page answers one collection page, with fault injection for the page itself.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []map[string]any, next *pageToken, delta *pageToken) {
	if s.take(MalformedPage, 0) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html><body><h1>Service temporarily unavailable</h1></body></html>")
		return
	}
	if items == nil {
		items = []map[string]any{}
	}
	body := map[string]any{"value": items}
	if next != nil {
		base := s.URL
		if s.take(ForeignNextLink, s.faults.ForeignNextLink) {
			base = s.foreign
		}
		body["@odata.nextLink"] = base + r.URL.Path + "?$skiptoken=" + encodeToken(*next)
	}
	if delta != nil {
		body["@odata.deltaLink"] = s.URL + r.URL.Path + "?$deltatoken=" + encodeToken(*delta)
	}
	if s.take(MissingValue, s.faults.MissingValue) {
		delete(body, "value")
	}
	writeJSON(w, http.StatusOK, body)
}

func renderUser(u *user, sel []string) map[string]any {
	if sel == nil {
		sel = userDefault()
	}
	out := make(map[string]any, len(sel)+1)
	out["id"] = u.id
	for _, p := range sel {
		out[p] = u.props[p]
	}
	return out
}

func renderGroup(g *group, sel []string) map[string]any {
	if sel == nil {
		sel = groupDefault()
	}
	out := make(map[string]any, len(sel)+1)
	out["id"] = g.id
	for _, p := range sel {
		if p != "members" {
			out[p] = g.props[p]
		}
	}
	return out
}

func memberRef(m member) map[string]any {
	typ := "#microsoft.graph.user"
	if m.group {
		typ = "#microsoft.graph.group"
	}
	return map[string]any{"@odata.type": typ, "id": m.id}
}

func (s *Server) renderSP(sel []string) map[string]any {
	roles := make([]any, 0, len(s.roles))
	for _, r := range s.roles {
		roles = append(roles, map[string]any{
			"id": r.ID, "value": r.Value, "displayName": r.DisplayName, "description": r.DisplayName + " of Druva",
			"allowedMemberTypes": []any{"User"}, "isEnabled": true, "origin": "Application",
		})
	}
	full := map[string]any{"id": s.spID, "appId": s.appID, "displayName": "Druva", "appRoles": roles,
		"servicePrincipalType": "Application", "accountEnabled": true}
	if sel == nil {
		return full
	}
	out := map[string]any{"id": s.spID}
	for _, p := range sel {
		out[p] = full[p]
	}
	return out
}

var appIDFilter = regexp.MustCompile(`^\s*appId\s+eq\s+'([^']*)'\s*$`)

func (s *Server) getServicePrincipals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sel, err := parseSelect(q.Get("$select"), isSPProp, "servicePrincipal")
	if err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	f := q.Get("$filter")
	m := appIDFilter.FindStringSubmatch(f)
	if f != "" && m == nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Unsupported $filter: only appId eq '...' is supported.")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []map[string]any
	if m == nil || m[1] == s.appID {
		items = append(items, s.renderSP(sel))
	}
	s.page(w, r, items, nil, nil)
}

func (s *Server) getServicePrincipal(w http.ResponseWriter, r *http.Request) {
	sel, err := parseSelect(r.URL.Query().Get("$select"), isSPProp, "servicePrincipal")
	if err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r.PathValue("id") != s.spID {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, s.renderSP(sel))
}

// start reads the paging state of a request: the $skiptoken, or a fresh
// token from $select and $top.
func (s *Server) start(w http.ResponseWriter, r *http.Request, kind string, known func(string) bool, typ string) (pageToken, []string, bool) {
	q := r.URL.Query()
	if st := q.Get("$skiptoken"); st != "" {
		t, err := decodeToken(st, kind)
		if err != nil {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken: "+err.Error())
			return t, nil, false
		}
		sel, _ := parseSelect(t.Sel, known, typ)
		if t.Sel == "" {
			sel = nil
		}
		return t, sel, true
	}
	sel, err := parseSelect(q.Get("$select"), known, typ)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return pageToken{}, nil, false
	}
	n, err := s.pageSize(r)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return pageToken{}, nil, false
	}
	t := pageToken{K: kind, N: n}
	if sel != nil {
		t.Sel = strings.Join(append([]string{"id"}, sel...), ",")
	}
	return t, sel, true
}

func (s *Server) getAssignedTo(w http.ResponseWriter, r *http.Request) {
	t, sel, ok := s.start(w, r, "art", isAssignmentProp, "appRoleAssignment")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r.PathValue("id") != s.spID {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist.", r.PathValue("id")))
		return
	}
	var items []map[string]any
	p := t.P
	for ; p < len(s.assigns) && len(items) < t.N; p++ {
		a := s.assigns[p]
		name, live := s.principalName(a)
		if a.removed || !live {
			continue
		}
		full := map[string]any{"id": a.id, "appRoleId": a.appRoleID, "principalId": a.principalID,
			"principalType": a.principalType, "principalDisplayName": name, "resourceId": s.spID,
			"resourceDisplayName": "Druva", "createdDateTime": a.created.Format("2006-01-02T15:04:05.0000000Z"),
			"deletedDateTime": nil}
		if sel != nil {
			out := map[string]any{"id": a.id}
			for _, k := range sel {
				out[k] = full[k]
			}
			full = out
		}
		items = append(items, full)
	}
	var next *pageToken
	if p < len(s.assigns) {
		t.P = p
		next = &t
	}
	s.page(w, r, items, next, nil)
}

func (s *Server) principalName(a *assignment) (string, bool) {
	if a.principalType == "Group" {
		g := s.groupByID[a.principalID]
		if g == nil || g.state != stateLive {
			return "", false
		}
		name, _ := g.props["displayName"].(string)
		return name, true
	}
	u := s.userByID[a.principalID]
	if u == nil || u.state != stateLive {
		return "", false
	}
	name, _ := u.props["displayName"].(string)
	return name, true
}

func (s *Server) getUsers(w http.ResponseWriter, r *http.Request) {
	t, sel, ok := s.start(w, r, "ul", isUserProp, "user")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []map[string]any
	p := t.P
	for ; p < len(s.users) && len(items) < t.N; p++ {
		if u := s.users[p]; u.state == stateLive {
			items = append(items, renderUser(u, sel))
		}
	}
	var next *pageToken
	if p < len(s.users) {
		t.P = p
		next = &t
	}
	s.page(w, r, items, next, nil)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	sel, err := parseSelect(r.URL.Query().Get("$select"), isUserProp, "user")
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userByID[r.PathValue("id")]
	if u == nil && strings.Contains(r.PathValue("id"), "@") {
		for _, c := range s.users {
			if c.state == stateLive && strings.EqualFold(c.props["userPrincipalName"].(string), r.PathValue("id")) {
				u = c
				break
			}
		}
	}
	if u == nil || u.state != stateLive {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, renderUser(u, sel))
}

// deltaStart reads the state of a delta request: $skiptoken (next page of
// a round), $deltatoken (a new round since the token), or a fresh full round.
// It reports latest = true for $deltatoken=latest.
func (s *Server) deltaStart(w http.ResponseWriter, r *http.Request, kind string, known func(string) bool, typ string) (t pageToken, sel []string, latest, ok bool) {
	q := r.URL.Query()
	dt := q.Get("$deltatoken")
	if dt == "" || dt == "latest" {
		t, sel, ok = s.start(w, r, kind, known, typ)
		if !ok {
			return
		}
		if q.Get("$skiptoken") == "" {
			s.mu.RLock()
			t.U, t.E = s.seq, s.epoch
			s.mu.RUnlock()
		}
		return t, sel, dt == "latest" && q.Get("$skiptoken") == "", true
	}
	t, err := decodeToken(dt, kind)
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $deltatoken: "+err.Error())
		return t, nil, false, false
	}
	s.mu.RLock()
	expired := t.E < s.epoch
	t.U, t.E, t.P = s.seq, s.epoch, 0
	s.mu.RUnlock()
	if s.take(ExpiredDelta, s.faults.ExpiredDelta) || expired {
		graphError(w, http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. Resync required: start a new delta round without a delta token.")
		return t, nil, false, false
	}
	if t.Sel != "" {
		sel, _ = parseSelect(t.Sel, known, typ)
	}
	return t, sel, false, true
}

// deltaPage answers one page of a delta round: with a nextLink that resumes
// at position p while p < total, else with the deltaLink that starts the
// next round from now.
func (s *Server) deltaPage(w http.ResponseWriter, r *http.Request, items []map[string]any, t pageToken, p, total int) {
	if p < total {
		t.P = p
		s.page(w, r, items, &t, nil)
		return
	}
	t.S, t.P = t.U, 0
	s.page(w, r, items, nil, &t)
}

func (s *Server) getUsersDelta(w http.ResponseWriter, r *http.Request) {
	t, sel, latest, ok := s.deltaStart(w, r, "ud", isUserProp, "user")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if latest {
		s.deltaPage(w, r, nil, t, 0, 0)
		return
	}
	sels := sel
	if sels == nil {
		sels = userDefault()
	}
	var items []map[string]any
	p := t.P
	for ; p < len(s.users) && len(items) < t.N; p++ {
		u := s.users[p]
		switch {
		case t.S == 0:
			if u.state == stateLive {
				items = append(items, renderUser(u, sel))
			}
		case u.state == stateSoftDeleted && u.delSeq > t.S:
			items = append(items, map[string]any{"id": u.id, "@removed": map[string]any{"reason": "changed"}})
		case u.state == statePurged && u.delSeq > t.S:
			items = append(items, map[string]any{"id": u.id, "@removed": map[string]any{"reason": "deleted"}})
		case u.state == stateLive && u.born > t.S:
			items = append(items, renderUser(u, sel))
		case u.state == stateLive:
			var out map[string]any
			for _, k := range sels {
				if u.propVer[k] > t.S {
					if out == nil {
						out = map[string]any{"id": u.id}
					}
					out[k] = u.props[k]
				}
			}
			if out != nil {
				items = append(items, out)
			}
		}
	}
	s.deltaPage(w, r, items, t, p, len(s.users))
}

func (s *Server) getGroupsDelta(w http.ResponseWriter, r *http.Request) {
	t, sel, latest, ok := s.deltaStart(w, r, "gd", isGroupProp, "group")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if latest {
		s.deltaPage(w, r, nil, t, 0, 0)
		return
	}
	sels := sel
	if sels == nil {
		sels = groupDefault()
	}
	withMembers := slices.Contains(sels, "members")
	var items []map[string]any
	p := t.P
	for ; p < len(s.groups) && len(items) < t.N; p++ {
		g := s.groups[p]
		switch {
		case g.state != stateLive:
			if g.delSeq > t.S && t.S != 0 {
				items = append(items, map[string]any{"id": g.id, "@removed": map[string]any{"reason": "deleted"}})
			}
		case t.S == 0 || g.born > t.S:
			items = append(items, s.newGroupItem(g, sel, withMembers))
		default:
			if out := changedGroupItem(g, sels, t.S, withMembers); out != nil {
				items = append(items, out)
			}
		}
	}
	s.deltaPage(w, r, items, t, p, len(s.groups))
}

// newGroupItem is a groups/delta item for a group new since the round
// began: its selected properties and, when asked, all its live members.
func (s *Server) newGroupItem(g *group, sel []string, withMembers bool) map[string]any {
	out := renderGroup(g, sel)
	if withMembers {
		ms := make([]any, 0, len(g.members))
		for _, m := range g.members {
			if s.memberLive(m) {
				ms = append(ms, memberRef(m))
			}
		}
		out["members@delta"] = ms
	}
	return out
}

// changedGroupItem is a groups/delta item for a group known at sequence
// since: the selected properties changed after it and, when asked, the
// members added or removed after it (the last event of each). It is nil
// when nothing changed.
func changedGroupItem(g *group, sels []string, since uint64, withMembers bool) map[string]any {
	var out map[string]any
	for _, k := range sels {
		if k != "members" && g.propVer[k] > since {
			if out == nil {
				out = map[string]any{"id": g.id}
			}
			out[k] = g.props[k]
		}
	}
	if !withMembers {
		return out
	}
	last := map[string]memberEvent{}
	var order []string
	for _, e := range g.log {
		if e.seq > since {
			if _, seen := last[e.m.id]; !seen {
				order = append(order, e.m.id)
			}
			last[e.m.id] = e
		}
	}
	if len(order) == 0 {
		return out
	}
	ms := make([]any, 0, len(order))
	for _, id := range order {
		e := last[id]
		ref := memberRef(e.m)
		if e.removed {
			ref["@removed"] = map[string]any{"reason": "deleted"}
		}
		ms = append(ms, ref)
	}
	if out == nil {
		out = map[string]any{"id": g.id}
	}
	out["members@delta"] = ms
	return out
}

func (s *Server) memberLive(m member) bool {
	if m.group {
		g := s.groupByID[m.id]
		return g != nil && g.state == stateLive
	}
	u := s.userByID[m.id]
	return u != nil && u.state == stateLive
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	sel, err := parseSelect(r.URL.Query().Get("$select"), isGroupProp, "group")
	if err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupByID[r.PathValue("id")]
	if g == nil || g.state != stateLive {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist.", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, renderGroup(g, sel))
}

func (s *Server) getMembers(w http.ResponseWriter, r *http.Request) {
	cast := false
	switch r.PathValue("cast") {
	case "":
	case "microsoft.graph.user", "graph.user":
		cast = true
	default:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Unsupported member type cast '%s'.", r.PathValue("cast")))
		return
	}
	// Member listings accept user properties in $select; group members
	// answer with the ones they have.
	t, sel, ok := s.start(w, r, "m", isUserProp, "user")
	if !ok {
		return
	}
	if r.URL.Query().Get("$skiptoken") == "" {
		t.ID, t.Cst = r.PathValue("id"), cast
	} else if t.ID != r.PathValue("id") || t.Cst != cast {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken: issued for another listing.")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupByID[t.ID]
	if g == nil || g.state != stateLive {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist.", t.ID))
		return
	}
	var items []map[string]any
	p := t.P
	for ; p < len(g.members) && len(items) < t.N; p++ {
		m := g.members[p]
		if !s.memberLive(m) || (cast && m.group) {
			continue
		}
		var out map[string]any
		if m.group {
			out = map[string]any{"id": m.id, "displayName": s.groupByID[m.id].props["displayName"]}
		} else {
			out = renderUser(s.userByID[m.id], sel)
		}
		out["@odata.type"] = memberRef(m)["@odata.type"]
		items = append(items, out)
	}
	var next *pageToken
	if p < len(g.members) {
		t.P = p
		next = &t
	}
	s.page(w, r, items, next, nil)
}

// getMemberOf lists the groups a user is a direct (memberOf) or transitive
// (transitiveMemberOf) member of.
func (s *Server) getMemberOf(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("cast") {
	case "", "microsoft.graph.group", "graph.group":
	default:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Unsupported type cast '%s'.", r.PathValue("cast")))
		return
	}
	transitive := strings.Contains(r.URL.Path, "/transitiveMemberOf")
	kind := "mo"
	if transitive {
		kind = "tmo"
	}
	t, sel, ok := s.start(w, r, kind, isGroupProp, "group")
	if !ok {
		return
	}
	if r.URL.Query().Get("$skiptoken") == "" {
		t.ID = r.PathValue("id")
	} else if t.ID != r.PathValue("id") {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken: issued for another listing.")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userByID[t.ID]
	if u == nil || u.state != stateLive {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist.", t.ID))
		return
	}
	var groups []*group
	seen := map[string]bool{}
	frontier := []string{u.id}
	for len(frontier) > 0 {
		var next []string
		for _, g := range s.groups {
			if g.state != stateLive || seen[g.id] {
				continue
			}
			if slices.ContainsFunc(frontier, func(id string) bool { return g.isMember[id] }) {
				seen[g.id] = true
				groups = append(groups, g)
				next = append(next, g.id)
			}
		}
		if !transitive {
			break
		}
		frontier = next
	}
	var items []map[string]any
	p := t.P
	for ; p < len(groups) && len(items) < t.N; p++ {
		out := renderGroup(groups[p], sel)
		out["@odata.type"] = "#microsoft.graph.group"
		items = append(items, out)
	}
	var next *pageToken
	if p < len(groups) {
		t.P = p
		next = &t
	}
	s.page(w, r, items, next, nil)
}

// readBody decodes a JSON object request body of at most 1 MiB.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		if err = d.Decode(&m); err == nil && m != nil {
			return m, true
		}
		if err == nil {
			err = errors.New("body is not a JSON object")
		}
	}
	graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid request body: "+err.Error())
	return nil, false
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	delete(body, "passwordProfile")
	id, err := s.CreateUser(body)
	if err != nil {
		errStatus(w, err)
		return
	}
	u, _ := s.User(id)
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if err := s.UpdateUser(r.PathValue("id"), body); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteUser(r.PathValue("id")); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) restoreItem(w http.ResponseWriter, r *http.Request) {
	if err := s.RestoreUser(r.PathValue("id")); err != nil {
		errStatus(w, err)
		return
	}
	u, _ := s.User(r.PathValue("id"))
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) purgeItem(w http.ResponseWriter, r *http.Request) {
	if err := s.PurgeUser(r.PathValue("id")); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postGroup(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	name, _ := body["displayName"].(string)
	id, err := s.CreateGroup(name)
	if err != nil {
		errStatus(w, err)
		return
	}
	s.mu.RLock()
	out := renderGroup(s.groupByID[id], nil)
	s.mu.RUnlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) postAssignedTo(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	principal, _ := body["principalId"].(string)
	role, _ := body["appRoleId"].(string)
	if res, _ := body["resourceId"].(string); res != r.PathValue("id") {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "resourceId must be the service principal in the URL.")
		return
	}
	if r.PathValue("id") != s.ServicePrincipalID {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", "service principal not found")
		return
	}
	id, err := s.AddAssignment(principal, role)
	if err != nil {
		errStatus(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "principalId": principal, "appRoleId": role, "resourceId": s.ServicePrincipalID})
}

func (s *Server) deleteAssignedTo(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.ServicePrincipalID {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", "service principal not found")
		return
	}
	if err := s.RemoveAssignment(r.PathValue("aid")); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var directoryObjectRe = regexp.MustCompile(`/directoryObjects/([^/?#]+)$`)

func (s *Server) postMember(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	ref, _ := body["@odata.id"].(string)
	m := directoryObjectRe.FindStringSubmatch(ref)
	if m == nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "@odata.id must reference .../directoryObjects/{id}.")
		return
	}
	if err := s.AddGroupMember(r.PathValue("id"), m[1]); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) {
	if err := s.RemoveGroupMember(r.PathValue("id"), r.PathValue("mid")); err != nil {
		errStatus(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
