// Package httpx is the one HTTP stack every client of druvascim shares (the
// Druva SCIM client and the Microsoft Graph reader): bearer authentication,
// an adaptive client-side rate limit, retries with capped backoff, bounded
// response bodies, redaction and a fixed User-Agent.
//
// It is internal: its API may change with the packages that use it.
//
//	c, err := httpx.New("https://apis.druva.com/insync/scim",
//		httpx.WithToken(token),
//		httpx.WithRateLimit(20, 5),
//		httpx.WithLogger(logger))
//	if err != nil { ... }
//	resp, err := c.Do(ctx, &httpx.Request{Method: "GET", Path: "Users", Query: url.Values{"count": {"100"}}})
//	// err: no usable response (transport failure after retries, body too
//	// large, context ended, URL off the base host). Otherwise resp holds the
//	// last status, headers and the whole body, whatever the status.
//
// # Construction
//
// [New] takes the base URL and validating [Option] values and returns an
// immutable [*Client], safe for concurrent use. The base URL must be https,
// or http on a loopback host ([ErrInsecure]); [ParseBaseURL] and
// [IsLoopback] expose the same checks. An injected *http.Client
// ([WithHTTPClient]) is copied, never modified; without one the client uses
// a pooled transport that gives the server 60 s to answer each attempt.
//
// # Authentication
//
// [WithToken] sends a static bearer token, [WithTokenFunc] asks a
// [TokenFunc] before every attempt (an azcore.TokenCredential fits behind
// one). The token is sent only to the base URL's scheme and host and below
// its path: a [Request].Path is either relative to the base URL (a leading
// slash still resolves below the base path) or an absolute URL on the base
// host (as Graph's @odata.nextLink); anything else fails with [ErrOffHost]
// before a byte is sent, and redirects off the base URL are refused.
//
// The token never appears in errors, logs or panics, and a [Client] prints
// redacted with every fmt verb (%v, %+v, %#v).
//
// # Rate limits and retries
//
// Before every attempt the caller waits on a client-side token bucket
// ([DefaultRateLimit] requests/s, burst [DefaultBurst]; [WithRateLimit](0, 0)
// switches it off). The limiter is shared by every caller of a Client and
// adapts: a 429 lowers its rate to 70 % (never below a tenth of the
// configured rate) for a cooldown ([WithThrottleCooldown], or the server's
// Retry-After if longer), and after each quiet cooldown the rate grows by
// half until it is back at the configured one. The throttled request itself
// waits for its Retry-After; the other callers slow down without stopping.
// [Client.RateLimit] shows the rate in force.
//
// Retries (github.com/hashicorp/go-retryablehttp, with this package's own
// policy) happen on transport errors (including a body cut short), 429 and
// 5xx except 501, at most [WithRetryMax] times. The wait is the server's
// Retry-After (seconds or HTTP date, see [RetryAfter]) capped by
// [WithMaxRetryAfter], else exponential backoff with jitter
// ([WithBackoff]). A wait that would pass the context's deadline is not
// started: the caller gets the last response (or error) at once. When
// retries run out the caller gets the last response, with its status and
// body — never a bare "giving up". Nothing is retried once the context is
// done.
//
// Every wait goes through a [WaitFunc] ([WithWait]) and every time reading
// through a clock ([WithClock]), so tests run retries, backoff and rate
// limiting without sleeping.
//
// # Bodies
//
// Response bodies are read whole, up to [WithMaxBody] bytes (default
// [DefaultMaxBody]); a larger body is an error wrapping [ErrBodyTooLarge],
// never a truncated success.
//
// # Observability
//
// [Client.Stats] returns the counters (attempts sent, retries, 429s) and may
// be read while requests run. Logging happens only through a *slog.Logger
// given with [WithLogger]; retryablehttp's own logger is never used. Every
// request carries User-Agent [UserAgent] ("druvascim/<version>") unless
// [WithUserAgent] says otherwise.
package httpx
