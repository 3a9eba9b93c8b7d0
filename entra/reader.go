package entra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/druvascim/druvascim/internal/httpx"
	"github.com/druvascim/druvascim/internal/source"
)

// Defaults of a [Reader].
const (
	// DefaultGraphURL is the Microsoft Graph root; the reader uses its v1.0 API.
	DefaultGraphURL = "https://graph.microsoft.com"
	// DefaultAccessRoleID is the appRoleId of a "Default Access" assignment
	// (assigned to the app without a specific role).
	DefaultAccessRoleID = "00000000-0000-0000-0000-000000000000"
	// defaultPageSize is the page size asked of Graph ($top or
	// Prefer: odata.maxpagesize): Graph's largest for users and members.
	defaultPageSize = 999
	// DefaultRateLimit is the client-side rate, in requests per second, well
	// under Graph's identity limits for a small tenant.
	DefaultRateLimit = 100
	// defaultConcurrency is how many group-member listings and user reads run
	// at once.
	defaultConcurrency = 4
	// maxObjects sets the default page limit of a listing: the pages that
	// many objects take, plus 1,000 pages for pages Graph sends short.
	maxObjects = 5_000_000
	// hydrateBulk is the number of users to re-read above which an
	// incremental read lists all users instead of reading them in $batch
	// requests of 20.
	hydrateBulk = 2000
)

// Scope reasons, the values of an object's Reason (the types and values the
// root package uses). An empty reason means assigned and active.
const (
	ReasonNotAssigned       = source.ReasonNotAssigned
	ReasonDefaultAccessOnly = source.ReasonDefaultAccessOnly
	ReasonAccountDisabled   = source.ReasonAccountDisabled
	ReasonSoftDeleted       = source.ReasonSoftDeleted
	ReasonHardDeleted       = source.ReasonHardDeleted
)

// Attributes the reader computes rather than selects from Graph.
const (
	// attrAppRoleAssignments holds the values of a user's app roles, direct
	// and through assigned groups, as []string, for the
	// SingleAppRoleAssignment and AppRoleAssignmentsComplex functions.
	attrAppRoleAssignments = "appRoleAssignments"
	// attrOriginalUPN holds a user's userPrincipalName as Graph has it,
	// for guests too (see guestUPN).
	attrOriginalUPN = "originalUserPrincipalName"
)

// computed reports the attribute names a mapping may read that the reader
// does not select from Graph: its own computed ones, and those the root
// package adds from the object's id and scope.
func computed(name string) bool {
	switch name {
	case "id", "objectId", attrAppRoleAssignments, attrOriginalUPN, "IsSoftDeleted", "IsHardDeleted", "scopeReason":
		return true
	}
	return false
}

// DefaultAttributes returns the user properties read when [WithAttributes]
// is not given: what the Druva default mapping set needs, plus jobTitle and
// employeeId.
func DefaultAttributes() []string {
	return []string{"userPrincipalName", "mail", "mailNickname", "displayName", "givenName", "surname",
		"department", "companyName", "jobTitle", "employeeId", "accountEnabled"}
}

type config struct {
	spID, appID   string
	graph         string
	version       string // "v1.0" or "beta"
	all           bool
	attrs         []string
	defaultAccess bool
	nested        bool
	outOfScope    bool
	pageSize      int
	maxPages      int
	concurrency   int
	scopes        []string
	http          []httpx.Option
	rateSet       bool
	logger        *slog.Logger
	retries       int
	maxRetryAfter time.Duration
	wait          func(ctx context.Context, d time.Duration) error
	progress      func(Progress)
}

// Option configures a [Reader]; options validate their arguments and
// [NewReader] returns the first error.
type Option func(*config) error

// WithServicePrincipalID names the Druva enterprise app by the object id of
// its service principal. Exactly one of this and [WithAppID] is required.
func WithServicePrincipalID(id string) Option {
	return func(c *config) error {
		if err := checkID("WithServicePrincipalID", id); err != nil {
			return err
		}
		c.spID = id
		return nil
	}
}

// WithAppID names the Druva app by its application (client) id; the reader
// resolves it to the service principal once, on the first read.
func WithAppID(appID string) Option {
	return func(c *config) error {
		if err := checkID("WithAppID", appID); err != nil {
			return err
		}
		c.appID = appID
		return nil
	}
}

func checkID(opt, id string) error {
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	}) {
		return fmt.Errorf("entra: %s(%q): want an object id (letters, digits and '-')", opt, id)
	}
	return nil
}

// WithGraphURL sets the Graph root (default [DefaultGraphURL]; national
// clouds have their own). A root without a version gets /v1.0; a root
// ending in /v1.0 or /beta is used as given. HTTPS is required unless the
// host is loopback (for fakes).
func WithGraphURL(root string) Option {
	return func(c *config) error {
		u, err := url.Parse(root)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("entra: WithGraphURL(%q): want an absolute https URL without query, such as %s", root, DefaultGraphURL)
		}
		root = strings.TrimRight(root, "/")
		c.graph, c.version = root, "v1.0"
		for _, v := range []string{"v1.0", "beta"} {
			if base, ok := strings.CutSuffix(root, "/"+v); ok {
				c.graph, c.version = base, v
			}
		}
		return nil
	}
}

// WithSyncAll reads every user of the tenant, as Entra's Scope setting
// "Sync all users and groups" does, instead of only the users assigned to
// the app ("Sync only assigned users and groups", the default). Every
// enabled user is then in scope, whatever its assignments (Default Access
// does not matter); disabled and deleted users are still reported as such,
// and the mapping set's scoping filters and the target's rules still apply.
// Objects then have Assigned true whatever their assignments (the
// appRoleAssignments attribute still lists their app roles). Incremental
// reads work as in the default scope.
func WithSyncAll(all bool) Option {
	return func(c *config) error { c.all = all; return nil }
}

// WithAttributes sets the user properties to read ($select): exactly these,
// plus id and accountEnabled, which scope needs. The computed attributes
// (objectId, appRoleAssignments, originalUserPrincipalName, IsSoftDeleted,
// IsHardDeleted, scopeReason) are accepted and not selected, so a mapping's
// source attribute list can be passed as is; originalUserPrincipalName
// selects userPrincipalName.
func WithAttributes(names ...string) Option {
	return func(c *config) error {
		var out []string
		wantUPN := false
		for _, n := range names {
			if computed(n) || n == "accountEnabled" {
				if n == attrOriginalUPN {
					wantUPN = true
				}
				continue
			}
			if n == "" || strings.ContainsFunc(n, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
			}) {
				return fmt.Errorf("entra: WithAttributes: %q is not a Graph user property name", n)
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		if wantUPN && !slices.Contains(out, "userPrincipalName") {
			out = append(out, "userPrincipalName")
		}
		c.attrs = append(out, "accountEnabled")
		return nil
	}
}

// WithDefaultAccess includes users whose only assignments are Default
// Access. Off by default, as the Druva gallery tutorial says.
func WithDefaultAccess(include bool) Option {
	return func(c *config) error { c.defaultAccess = include; return nil }
}

// WithNestedGroups expands nested groups of assigned groups (members of
// member groups, at any depth). Off by default: Entra provisioning reads
// direct members only.
func WithNestedGroups(expand bool) Option {
	return func(c *config) error { c.nested = expand; return nil }
}

// WithOutOfScopeUsers says whether reads report users that are not in
// scope (not assigned, default access only) with SoftDeleted true. On by
// default, so a caller can disable what it provisioned earlier. Disabled
// and deleted users are always reported.
func WithOutOfScopeUsers(include bool) Option {
	return func(c *config) error { c.outOfScope = include; return nil }
}

// WithPageSize sets the page size asked of Graph (1..999, default
// 999, Graph's largest for users and members).
func WithPageSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 999 {
			return fmt.Errorf("entra: WithPageSize(%d): want 1..999", n)
		}
		c.pageSize = n
		return nil
	}
}

// WithMaxPages sets the most pages one listing follows. The default is
// what 5,000,000 objects take at the page size, plus 1,000 (6,005 pages at
// the default page size: a minute at the default rate). A listing whose
// @odata.nextLink chain goes on past it fails with [ErrMalformed], rather
// than reading forever; so does one whose nextLink comes back to a page
// already read. A tenant of more than 5,000,000 users needs a larger limit.
func WithMaxPages(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("entra: WithMaxPages(%d): want at least 1", n)
		}
		c.maxPages = n
		return nil
	}
}

// WithConcurrency sets how many member listings and single-user reads run
// at once (default 4).
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 64 {
			return fmt.Errorf("entra: WithConcurrency(%d): want 1..64", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithScopes sets the OAuth scopes asked of the credential (default the
// Graph root + "/.default").
func WithScopes(scopes ...string) Option {
	return func(c *config) error {
		if len(scopes) == 0 || slices.Contains(scopes, "") {
			return errors.New("entra: WithScopes: need at least one non-empty scope")
		}
		c.scopes = slices.Clone(scopes)
		return nil
	}
}

// WithHTTPClient sends requests through a copy of hc (hc is not modified).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("entra: WithHTTPClient: nil client")
		}
		c.http = append(c.http, httpx.WithHTTPClient(hc))
		return nil
	}
}

// WithRateLimit sets the client-side rate limit (default
// [DefaultRateLimit] requests/s, burst 10); WithRateLimit(0, 0) switches it
// off. A 429 from Graph slows it down for every request of the reader.
func WithRateLimit(requestsPerSecond float64, burst int) Option {
	return func(c *config) error {
		if requestsPerSecond < 0 || burst < 0 || (requestsPerSecond > 0 && burst == 0) {
			return fmt.Errorf("entra: WithRateLimit(%v, %d): want a non-negative rate and a burst of at least 1", requestsPerSecond, burst)
		}
		c.http = append(c.http, httpx.WithRateLimit(requestsPerSecond, burst))
		c.rateSet = true
		return nil
	}
}

// WithRetries sets how many times a request answered 429, 5xx or lost in
// transit is retried (default 5), and the longest Retry-After honoured
// (default 60 s).
func WithRetries(n int, maxRetryAfter time.Duration) Option {
	return func(c *config) error {
		if n < 0 || n > 100 || maxRetryAfter <= 0 {
			return fmt.Errorf("entra: WithRetries(%d, %s): want 0..100 retries and a positive cap", n, maxRetryAfter)
		}
		c.http = append(c.http, httpx.WithRetryMax(n), httpx.WithMaxRetryAfter(maxRetryAfter))
		c.retries, c.maxRetryAfter = n, maxRetryAfter
		return nil
	}
}

// WithRequestTimeout sets how long one Graph request may take, from sending
// it to the last byte of the answer (default 2 minutes). A slower answer (a
// server trickling its body, say) ends the read with an error naming the
// request; such a request is not retried.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Millisecond {
			return fmt.Errorf("entra: WithRequestTimeout(%s): want at least 1ms", d)
		}
		c.http = append(c.http, httpx.WithRequestTimeout(d))
		return nil
	}
}

// WithWait replaces how the reader waits between retries and for the rate
// limiter; wait must return ctx.Err() when ctx ends first. Tests pass one
// that returns at once.
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) error {
		if wait == nil {
			return errors.New("entra: WithWait: nil function")
		}
		c.http = append(c.http, httpx.WithWait(wait))
		c.wait = wait
		return nil
	}
}

// WithLogger logs requests, retries and read summaries. Without it the
// reader is silent. Tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("entra: WithLogger: nil logger")
		}
		c.logger = l
		c.http = append(c.http, httpx.WithLogger(l))
		return nil
	}
}

// Progress reports how far a [Reader.Read] or [Reader.Fetch] has got.
type Progress struct {
	// Pages counts the collection pages decoded so far ($batch answers
	// included).
	Pages int64
	// Items counts the objects those pages held: users, groups, members
	// and app-role assignments. A read's total is unknown until it ends.
	Items int64
}

// WithProgress calls f after every page a read decodes. It is called from
// the goroutines doing the reading, possibly several at once, so it must be
// quick and safe for concurrent use.
func WithProgress(f func(Progress)) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("entra: WithProgress: nil function")
		}
		c.progress = f
		return nil
	}
}

// StaticToken returns a credential that always answers with token, for
// fakes and for tokens obtained elsewhere (GRAPH_TOKEN). [NewReader]
// refuses an empty one.
func StaticToken(token string) azcore.TokenCredential { return staticToken(token) }

type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if t == "" {
		return azcore.AccessToken{}, errors.New("entra: empty static token")
	}
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// String keeps the token out of %v.
func (staticToken) String() string { return "[REDACTED]" }

// GoString keeps the token out of %#v.
func (staticToken) GoString() string { return "[REDACTED]" }

// Reader reads who is assigned to the Druva enterprise app, and their
// attributes, from Microsoft Graph. It is immutable and safe for concurrent
// use; see the package documentation.
type Reader struct {
	cfg    config
	client *httpx.Client

	mu         sync.Mutex // guards resolved
	resolvedSP string
}

// NewReader returns a Reader that authenticates with cred: any
// azcore.TokenCredential (azidentity's client-secret, certificate, managed
// identity, workload identity, Azure CLI credentials…) or [StaticToken].
func NewReader(cred azcore.TokenCredential, opts ...Option) (*Reader, error) {
	if cred == nil {
		return nil, errors.New("entra: NewReader: nil credential")
	}
	if st, ok := cred.(staticToken); ok && (st == "" || strings.ContainsAny(string(st), " \t\r\n")) {
		return nil, errors.New("entra: NewReader: static token is empty or holds white space")
	}
	cfg := config{graph: DefaultGraphURL, version: "v1.0", attrs: DefaultAttributes(), outOfScope: true,
		pageSize: defaultPageSize, concurrency: defaultConcurrency,
		retries: httpx.DefaultRetryMax, maxRetryAfter: httpx.DefaultMaxRetryAfter, wait: httpx.Sleep}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("entra: NewReader: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.spID == "" && cfg.appID == "":
		return nil, errors.New("entra: NewReader: the service principal is required: WithServicePrincipalID or WithAppID")
	case cfg.spID != "" && cfg.appID != "":
		return nil, errors.New("entra: NewReader: give WithServicePrincipalID or WithAppID, not both")
	}
	if cfg.scopes == nil {
		cfg.scopes = []string{cfg.graph + "/.default"}
	}
	if cfg.maxPages == 0 {
		cfg.maxPages = maxObjects/cfg.pageSize + 1_000
	}
	scopes := cfg.scopes
	hopts := []httpx.Option{}
	if !cfg.rateSet {
		hopts = append(hopts, httpx.WithRateLimit(DefaultRateLimit, 10))
	}
	hopts = append(hopts, cfg.http...)
	hopts = append(hopts, httpx.WithTokenFunc(func(ctx context.Context) (string, error) {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: scopes})
		if err != nil {
			return "", err
		}
		return tok.Token, nil
	}))
	client, err := httpx.New(cfg.graph+"/"+cfg.version+"/", hopts...)
	if err != nil {
		return nil, fmt.Errorf("entra: NewReader: %w", err)
	}
	cfg.http = nil
	return &Reader{cfg: cfg, client: client, resolvedSP: cfg.spID}, nil
}

// String describes the reader without secrets.
func (r *Reader) String() string {
	sp := "servicePrincipal " + r.cfg.spID
	if r.cfg.appID != "" {
		sp = "appId " + r.cfg.appID
	}
	return fmt.Sprintf("entra.Reader{%s, graph %s, attributes %v}", sp, r.cfg.graph, r.cfg.attrs)
}

// ScopeFingerprint names the reader's scope setting: which application's
// assignments it reads (or all users), and whether Default Access, nested
// groups and out-of-scope users count. A Syncer records it and reads
// everything once when it changes, as Entra restarts a job whose scope
// setting changes.
func (r *Reader) ScopeFingerprint() string {
	return fmt.Sprintf("sp=%s app=%s all=%t defaultAccess=%t nested=%t outOfScope=%t",
		r.cfg.spID, r.cfg.appID, r.cfg.all, r.cfg.defaultAccess, r.cfg.nested, r.cfg.outOfScope)
}

// Attributes returns the attributes the reader delivers: the user
// properties it selects, appRoleAssignments, and originalUserPrincipalName
// when userPrincipalName is selected. The root package adds objectId,
// IsSoftDeleted, IsHardDeleted and scopeReason from each object's fields.
func (r *Reader) Attributes() []string {
	out := append(slices.Clone(r.cfg.attrs), attrAppRoleAssignments)
	if slices.Contains(r.cfg.attrs, "userPrincipalName") {
		out = append(out, attrOriginalUPN)
	}
	return out
}
