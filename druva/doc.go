// Package druva is a client for the Druva inSync SCIM 2.0 service
// (https://apis.druva.com/insync/scim): users (and groups, where a tenant
// offers them), discovery, the test connection Entra performs, and Druva's
// documented rules checked before a request is sent.
//
//	c, err := druva.NewClient(os.Getenv("DRUVA_TOKEN"))
//	if err != nil { ... }
//	if err := c.TestConnection(ctx); err != nil { ... }
//	u, err := c.CreateUser(ctx, scim.Resource{
//		"userName":    "ada@example.com",
//		"displayName": "Ada Lovelace",
//		"emails":      []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
//	})
//
// [Client] satisfies the root package's Target interface. Users travel as
// [scim.Resource], whose accessors (UserName, Email, Active, ...) read the
// common attributes.
//
// # Authentication
//
// [NewClient] takes the bearer token generated in the Druva console (Users >
// Settings > Generate Token). Druva tokens live 365 days and regenerating
// one kills the old one: a 401 matches [ErrUnauthorized] and says so. The
// token is sent only to the base URL's host, never appears in errors or
// logs, and a [Client] prints redacted with every fmt verb. The base URL
// ([WithBaseURL], default [DefaultBaseURL]; [GovCloudBaseURL] for GovCloud)
// must be https unless its host is loopback.
//
// # Errors
//
// A non-2xx answer is an [*APIError]: errors.Is matches it against
// [ErrNotFound] (404), [ErrConflict] (409: a userName or email Druva already
// holds — after a lost response to a create, look the user up and adopt
// it), [ErrUnauthorized] (401) and [ErrRateLimited] (429 after every
// retry); errors.As reaches its [*scim.Error], whose Status is the HTTP
// status even when the body held no SCIM error. Requests that break Druva's
// documented rules (userName, displayName and an email are required on
// create) fail before sending with a [*ValidationError] naming the
// attribute ([ErrInvalid]). A 2xx answer that is not what SCIM promises is
// [ErrBadResponse].
//
// # Pagination
//
// [Client.ListUsers] and [Client.ListGroups] return an iter.Seq2 that
// pages with startIndex/count ([WithPageSize]) until totalResults resources
// have been seen. A server that caps count is followed; one that stops
// early, repeats a resource, returns more than it announced or changes
// totalResults midway yields an error: a truncated listing never looks
// complete, so a missing user is never mistaken for a deleted one.
//
// # Rate limits and retries
//
// Nobody knows a tenant's rate limit in advance, and it can change, so the
// client learns it from Druva's answers. Requests are spaced evenly by a
// client-side limiter shared by every caller of the client. It starts at
// [DefaultRateLimit] requests/s (or [WithStartRate]) and doubles every
// second until Druva first answers 429. A 429 marks the "last limit seen"
// just under the rate that drew it (or near what Druva actually accepted,
// when that is clearly less) and lowers the rate to 0.9 of it for every
// caller; the rate then climbs back along a cubic curve, as TCP CUBIC does:
// quickly at first, slowly near the last limit, faster beyond it, so a
// limit that rose is found within seconds and one that fell costs a 429 or
// two. Rate-limit fields in Druva's answers (RateLimit-Policy/RateLimit,
// X-RateLimit-*), when present, are followed instead of guessed. Against
// a fake limiting at R unknown to the client it sustains 0.9–1.0 R with
// well under 1 % of requests refused (BENCHMARKS.md).
//
// [WithRateLimit] sets a ceiling never exceeded; WithRateLimit(0, 0)
// switches the limiter off. [Client.RateLimit] is the rate in force;
// [Client.LearnedRate] is the rate to keep (in the sync state) and give to
// the next run's [WithStartRate].
//
// Transport errors, 429 and 5xx (not 501) are retried ([WithRetryMax]) with
// exponential backoff and jitter, honouring Retry-After up to
// [WithMaxRetryAfter], never past the context's deadline (a Retry-After
// beyond the deadline is not waited at all). When retries run out the error
// carries the last status and the server's detail. Each request must be
// answered in full within [WithRequestTimeout] (default
// [DefaultRequestTimeout]), body included. Text from Druva is scrubbed of
// the token and of anything shaped like "Bearer …" before it reaches an
// error. Tests inject [WithWait] and [WithClock] so nothing sleeps.
// [Client.Stats] counts requests, retries and 429s.
//
// # Groups and discovery
//
// Druva documents users only. [Client.Discover] reads
// /ServiceProviderConfig, /ResourceTypes and /Schemas when offered and never
// requires them. The group methods ([Client.CreateGroup],
// [Client.GetGroup], [Client.ListGroups], [Client.PatchGroupMembers] — at
// most 100 members per request — and
// [Client.DeleteGroup]) run only when [WithGroupsEndpoint](true) or discovery says
// the tenant offers /Groups, else they return [ErrGroupsUnsupported].
//
// # Deprovisioning
//
// [Client.DisableUser] sends PATCH replace active=false, as Entra does;
// [Client.DeleteUser] sends DELETE. Druva answers both by preserving the
// user: it stays readable, inactive, with its backups.
//
// Package druvatest provides a fake Druva to test against.
package druva
