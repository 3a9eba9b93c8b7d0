package druvatest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	escim "github.com/elimity-com/scim"
	"golang.org/x/time/rate"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/scim"
)

// ErrNotFound is returned by the inspection helpers for an unknown user.
var ErrNotFound = errors.New("druvatest: no such user")

// Server is a fake Druva inSync SCIM service on loopback. It is safe for
// concurrent use.
type Server struct {
	// URL is the SCIM base URL, e.g. http://127.0.0.1:12345/insync/scim.
	URL string
	// Token is the bearer token the server accepts.
	Token string

	cfg     config
	srv     *httptest.Server
	elimity escim.Server
	lim     *rate.Limiter
	client  *druva.Client // what Client returns

	mu      sync.Mutex
	limLast time.Time // latest instant the rate limiter saw
	st      *store
	faults  Faults
	seq     uint64
	stats   Stats
	log     []Request
}

// Request is one entry of the request log.
type Request struct {
	Seq    uint64 // 1 for the first request
	Method string
	Path   string // below the base path, e.g. "/Users/user-00000001"
	Query  string // raw query
	Status int    // status answered; 0 when the response was lost
	Fault  string // the injected fault, "" when none
}

// Stats are the server's counters.
type Stats struct {
	Requests     int            // every request received
	ByMethod     map[string]int // requests by HTTP method
	Unauthorized int            // answered 401
	Throttled    int            // answered 429 by the server-side rate limit
	Injected429  int            // injected 429 faults
	Injected5xx  int            // injected 5xx faults
	Lost         int            // writes applied whose response was dropped
	Delayed      int            // requests delayed by injected latency
}

// NewServer starts a fake Druva on a loopback port (or on [WithAddr]),
// like httptest.NewServer, and returns it with a ready client
// ([Server.Client]). It returns an error for an invalid option, a port
// that cannot be opened, or an address the druva client would refuse to
// reach over plain HTTP (one off loopback).
func NewServer(opts ...Option) (*Server, error) {
	cfg := config{maxPage: DefaultMaxPageSize, discovery: true, now: time.Now, sleep: httpx.Sleep, maxBodySize: 1 << 20}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("druvatest: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.token == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		cfg.token = hex.EncodeToString(b[:])
	}
	s := &Server{Token: cfg.token, cfg: cfg, st: newStore(), faults: cfg.faults}
	s.stats.ByMethod = map[string]int{}
	if cfg.rate > 0 {
		s.lim = rate.NewLimiter(rate.Limit(cfg.rate), cfg.burst)
	}
	srv := httptest.NewUnstartedServer(s)
	if cfg.addr != "" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			return nil, fmt.Errorf("druvatest: listen on %s: %w", cfg.addr, err)
		}
		_ = srv.Listener.Close()
		srv.Listener = l
	}
	addr := srv.Listener.Addr().String()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port) // listening everywhere: reach it on loopback
		}
	}
	s.URL = "http://" + addr + BasePath
	el, err := s.newElimity()
	if err != nil {
		_ = srv.Listener.Close()
		return nil, fmt.Errorf("druvatest: %w", err)
	}
	s.elimity = el
	if s.client, err = s.NewClient(); err != nil {
		_ = srv.Listener.Close()
		return nil, fmt.Errorf("druvatest: no druva client can reach %s: %w", s.URL, err)
	}
	srv.Start()
	s.srv = srv
	return s, nil
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns the ready Druva client [NewServer] made: pointed at the
// server, authenticated, client-side rate limiter off. It is shared by
// every caller; use [Server.NewClient] for one with other options.
func (s *Server) Client() *druva.Client { return s.client }

// NewClient returns a Druva client pointed at the server, limiter off, with
// further options (a wait seam, retry settings, ...).
func (s *Server) NewClient(opts ...druva.Option) (*druva.Client, error) {
	base := []druva.Option{druva.WithBaseURL(s.URL), druva.WithRateLimit(0, 0)}
	return druva.NewClient(s.Token, append(base, opts...)...)
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	return nil
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByMethod = make(map[string]int, len(s.stats.ByMethod))
	for k, v := range s.stats.ByMethod {
		out.ByMethod[k] = v
	}
	return out
}

// RequestCount returns how many requests used method ("" for all).
func (s *Server) RequestCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		return s.stats.Requests
	}
	return s.stats.ByMethod[strings.ToUpper(method)]
}

// Requests returns a copy of the request log, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ServeHTTP serves the fake; it is what the started server runs, and can be
// mounted elsewhere too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok || (path != "" && path[0] != '/') {
		writeError(w, scim.NewError(http.StatusNotFound, "", "not a SCIM endpoint: "+r.URL.Path))
		return
	}
	if path == "" {
		path = "/"
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.stats.Requests++
	s.stats.ByMethod[r.Method]++
	s.log = append(s.log, Request{Seq: seq, Method: r.Method, Path: path, Query: r.URL.RawQuery})
	faults := s.faults
	s.mu.Unlock()
	logIdx := int(seq - 1)
	finish := func(status int, fault string) {
		s.mu.Lock()
		if logIdx < len(s.log) {
			s.log[logIdx].Status, s.log[logIdx].Fault = status, fault
		}
		s.mu.Unlock()
	}

	if !s.authorised(r) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, scim.NewError(http.StatusUnauthorized, "", "Invalid or expired token"))
		finish(http.StatusUnauthorized, "")
		return
	}
	if s.lim != nil && !s.allow(w) {
		s.count(func(st *Stats) { st.Throttled++ })
		writeError(w, scim.NewError(http.StatusTooManyRequests, "", "rate limit exceeded"))
		finish(http.StatusTooManyRequests, "rate limit")
		return
	}

	lose, done := s.injectFaults(w, r, faults, seq, finish)
	if !done {
		s.respond(w, r, path, lose, finish)
	}
}

// injectFaults applies the configured faults to request number seq: a
// delay, an injected 429 or 5xx (answered here: done is true), or the
// decision to lose the response of a write (lose).
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request, faults Faults, seq uint64, finish func(int, string)) (lose, done bool) {
	// One seeded random source per request: reproducible for a given order.
	rnd := mrand.New(mrand.NewPCG(faults.Seed, seq))
	if faults.LatencyRate > 0 && faults.Latency > 0 && rnd.Float64() < faults.LatencyRate {
		s.count(func(st *Stats) { st.Delayed++ })
		if err := s.cfg.sleep(r.Context(), faults.Latency); err != nil {
			finish(0, "latency (client gone)")
			return false, true
		}
	}
	u := rnd.Float64()
	switch {
	case u < faults.TooManyRequests:
		s.count(func(st *Stats) { st.Injected429++ })
		ra := faults.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
		writeError(w, scim.NewError(http.StatusTooManyRequests, "", "too many requests (injected)"))
		finish(http.StatusTooManyRequests, "429")
		return false, true
	case u < faults.TooManyRequests+faults.ServerErrors:
		s.count(func(st *Stats) { st.Injected5xx++ })
		code := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[rnd.IntN(3)]
		writeError(w, scim.NewError(code, "", "injected server error"))
		finish(code, strconv.Itoa(code))
		return false, true
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		lose = faults.ResponseLost > 0 && rnd.Float64() < faults.ResponseLost
	}
	return lose, false
}

// respond serves the request and writes the answer, or, when lose is set,
// applies it and drops the connection instead of answering.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, path string, lose bool, finish func(int, string)) {
	rec := httptest.NewRecorder()
	s.dispatch(rec, r, path)
	if lose {
		s.count(func(st *Stats) { st.Lost++ })
		finish(0, "response lost")
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // not hijackable (HTTP/2): abort the stream
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	finish(rec.Code, "")
}

// allow takes a token from the server-side bucket. Refused, it sets the
// Retry-After (the time until the next token, in whole seconds); with
// [WithRateLimitHeaders] it describes the bucket on every answer.
func (s *Server) allow(w http.ResponseWriter) bool {
	s.mu.Lock()
	// The bucket's time must never go back, so the clock is read under the
	// lock and kept monotonic.
	now := s.cfg.now()
	if now.Before(s.limLast) {
		now = s.limLast
	}
	s.limLast = now
	ok := s.lim.AllowN(now, 1)
	limit, tokens := float64(s.lim.Limit()), s.lim.TokensAt(now)
	s.mu.Unlock()
	untilToken := time.Duration(max(0, 1-tokens) / limit * float64(time.Second))
	if s.cfg.rateHeaders {
		// draft-ietf-httpapi-ratelimit-headers: the policy allows R requests
		// per second; r requests remain now, restored within t seconds.
		h := w.Header()
		h.Set("RateLimit-Policy", fmt.Sprintf(`"bucket";q=%d;w=1`, int(math.Round(limit))))
		h.Set("RateLimit", fmt.Sprintf(`"bucket";r=%d;t=%d`, int(max(0, tokens)), int(math.Ceil(untilToken.Seconds()))))
		h.Set("X-RateLimit-Limit", strconv.Itoa(int(math.Round(limit))))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(int(max(0, tokens))))
		h.Set("X-RateLimit-Reset", strconv.Itoa(int(math.Ceil(untilToken.Seconds()))))
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(untilToken.Seconds())))))
	}
	return ok
}

// SetRateLimit changes the server-side rate while the server runs (the
// burst stays); it needs a server started with [WithRateLimit].
func (s *Server) SetRateLimit(requestsPerSecond float64) error {
	if s.lim == nil {
		return errors.New("druvatest: SetRateLimit: the server has no rate limit; start it WithRateLimit")
	}
	if requestsPerSecond != requestsPerSecond || requestsPerSecond <= 0 {
		return fmt.Errorf("druvatest: SetRateLimit(%v): need a positive rate", requestsPerSecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.now()
	if now.Before(s.limLast) {
		now = s.limLast
	}
	s.limLast = now
	s.lim.SetLimitAt(now, rate.Limit(requestsPerSecond))
	return nil
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Server) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) == 1
}

// dispatch routes a request: writes through our own handlers (generic
// decoding, Druva's rules, PATCH applied with package scim), reads, deletes
// and discovery through elimity-com/scim.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, path string) {
	switch path {
	case "/ServiceProviderConfig", "/ResourceTypes", "/Schemas":
		if !s.cfg.discovery {
			writeError(w, scim.NewError(http.StatusNotFound, "", "not offered"))
			return
		}
	}
	if strings.HasPrefix(path, "/ResourceTypes/") || strings.HasPrefix(path, "/Schemas/") {
		if !s.cfg.discovery {
			writeError(w, scim.NewError(http.StatusNotFound, "", "not offered"))
			return
		}
	}
	kind, id, hasID := splitPath(path)
	if kind == "Groups" && !s.cfg.groups {
		writeError(w, scim.NewError(http.StatusNotFound, "", "Groups are not supported"))
		return
	}
	if kind == "Users" || kind == "Groups" {
		switch {
		case r.Method == http.MethodPost && !hasID:
			s.handleCreate(w, r, kind)
			return
		case r.Method == http.MethodPut && hasID:
			s.handleReplace(w, r, kind, id)
			return
		case r.Method == http.MethodPatch && hasID:
			s.handlePatch(w, r, kind, id)
			return
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	if raw := r.URL.EscapedPath(); strings.HasPrefix(raw, BasePath) {
		r2.URL.RawPath = strings.TrimPrefix(raw, BasePath)
	}
	s.elimity.ServeHTTP(w, r2)
}

// splitPath returns "Users", "id" for "/Users/id".
func splitPath(path string) (kind, id string, hasID bool) {
	rest := strings.TrimPrefix(path, "/")
	kind, id, hasID = strings.Cut(rest, "/")
	return kind, id, hasID
}

func writeError(w http.ResponseWriter, e *scim.Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, scim.NewError(http.StatusInternalServerError, "", err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readObject reads a JSON object body generically (numbers as json.Number).
func (s *Server) readObject(r *http.Request) (scim.Resource, *scim.Error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.maxBodySize))
	if err != nil {
		return nil, scim.NewError(http.StatusRequestEntityTooLarge, "", "request body too large or unreadable")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, scim.NewError(http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object")
	}
	if _, err := d.Token(); err != io.EOF { // Decoder.More misses a stray closing bracket
		return nil, scim.NewError(http.StatusBadRequest, "invalidSyntax", "trailing data after the JSON object")
	}
	return scim.Resource(m), nil
}

func (s *Server) location(kind, id string) string {
	return s.URL + "/" + kind + "/" + url.PathEscape(id)
}

func (s *Server) render(kind string, e *entry) scim.Resource {
	if kind == "Groups" {
		return e.render(scim.GroupSchema, "Group", s.location(kind, e.id))
	}
	return e.render(scim.UserSchema, "User", s.location(kind, e.id))
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, kind string) {
	body, serr := s.readObject(r)
	if serr != nil {
		writeError(w, serr)
		return
	}
	s.mu.Lock()
	var e *entry
	if kind == "Users" {
		e, serr = s.st.createUser(body, s.cfg.mappings, s.cfg.now())
	} else {
		e, serr = s.st.createGroup(body, s.cfg.now())
	}
	var out scim.Resource
	if serr == nil {
		out = s.render(kind, e)
	}
	s.mu.Unlock()
	if serr != nil {
		writeError(w, serr)
		return
	}
	w.Header().Set("Location", s.location(kind, e.id))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) lookup(kind, id string) (*entry, *scim.Error) {
	m := s.st.users
	if kind == "Groups" {
		m = s.st.groups
	}
	e, ok := m[id]
	if !ok {
		return nil, scim.NewError(http.StatusNotFound, "", fmt.Sprintf("Resource %s not found.", id))
	}
	return e, nil
}

func (s *Server) update(kind string, e *entry, next scim.Resource) *scim.Error {
	if v, ok := next.Get("id"); ok && v != e.id {
		return scim.NewError(http.StatusBadRequest, "mutability", "id cannot be changed")
	}
	if kind == "Groups" {
		return s.st.updateGroup(e, next, s.cfg.now())
	}
	return s.st.updateUser(e, next, s.cfg.now())
}

func (s *Server) handleReplace(w http.ResponseWriter, r *http.Request, kind, id string) {
	body, serr := s.readObject(r)
	if serr != nil {
		writeError(w, serr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, serr := s.lookup(kind, id)
	if serr == nil {
		serr = s.update(kind, e, body)
	}
	if serr != nil {
		writeError(w, serr)
		return
	}
	writeJSON(w, http.StatusOK, s.render(kind, e))
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, kind, id string) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.maxBodySize))
	if err != nil {
		writeError(w, scim.NewError(http.StatusRequestEntityTooLarge, "", "request body too large or unreadable"))
		return
	}
	req, err := scim.ParsePatchRequest(b)
	if err != nil {
		writeError(w, asSCIM(err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, serr := s.lookup(kind, id)
	if serr != nil {
		writeError(w, serr)
		return
	}
	next, err := scim.ApplyPatch(e.attrs, req.Operations...)
	if err != nil {
		writeError(w, asSCIM(err))
		return
	}
	if serr := s.update(kind, e, next); serr != nil {
		writeError(w, serr)
		return
	}
	if kind == "Groups" { // Entra expects 204 for group PATCH
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, s.render(kind, e))
}

func asSCIM(err error) *scim.Error {
	var se *scim.Error
	if errors.As(err, &se) {
		return se
	}
	return scim.NewError(http.StatusBadRequest, "invalidSyntax", err.Error())
}
