// Package httpx is the one HTTP stack every client of druvascim shares (the
// Druva SCIM client and the Microsoft Graph reader): bearer authentication,
// an adaptive client-side rate limit, retries with capped backoff, bounded
// response bodies, redaction and a fixed User-Agent.
//
// It is internal: its API may change with the packages that use it.
//
//	c, err := httpx.New("https://apis.druva.com/insync/scim",
//		httpx.WithToken(token),
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
// a pooled transport that gives the server 60 s to start answering each
// attempt.
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
// # Rate limits
//
// Before every attempt the caller waits on a client-side limiter shared by
// every caller of the Client. By default it learns the server's limit from
// the field, as TCP congestion avoidance (CUBIC, RFC 9438) learns a path's
// capacity, with requests evenly spaced (burst [DefaultBurst]):
//
//   - slow start: from [DefaultStartRate] requests/s (or [WithStartRate])
//     the rate doubles every second until the first 429;
//   - multiplicative decrease: a 429 sets the "last limit seen" just under
//     the rate that drew it (or near the rate the server actually accepted
//     over the last seconds, when that is clearly less: the limit fell, or
//     slow start overshot) and lowers the rate to 0.9 of it. Requests
//     already queued re-queue at the lowered rate; 429s to requests queued
//     before the decrease do not lower it again;
//   - additive increase along a cubic curve: the rate climbs back quickly
//     at first, slowly near the last limit seen (where it spends most of
//     its time), then faster beyond it, so a limit that rose is found in
//     seconds. The time to climb back is 200 requests' worth, between 5 and
//     30 s: a slow server, where one 429 weighs more, is probed rarely;
//   - server signals replace guessing: RateLimit-Policy and RateLimit
//     (https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/,
//     earlier revisions' RateLimit-Limit/-Remaining/-Reset too) set the rate
//     to the announced one, and a spent quota (RateLimit r=0,
//     X-RateLimit-Remaining: 0) holds new requests until it is restored.
//
// [WithRateLimit] sets a ceiling the limiter never exceeds (it still slows
// down on 429s); WithRateLimit(0, 0) switches it off. [Client.RateLimit] is
// the rate in force, [Client.LearnedRate] the rate a later client should
// start from ([WithStartRate]), so a program can keep it between runs.
// Only the throttled request itself waits for its Retry-After: the other
// callers slow down, they do not stop.
//
// # Retries
//
// Retries go through github.com/hashicorp/go-retryablehttp's own hooks:
// CheckRetry reads each body, tells the limiter what the server said and
// decides; Backoff returns the wait; PrepareRetry waits on the limiter;
// ErrorHandler keeps the last response. Retried are transport errors
// (including a body cut short), 429 and 5xx except 501, at most
// [WithRetryMax] times. The wait is the server's Retry-After (seconds or
// HTTP date, see [RetryAfter]) capped by [WithMaxRetryAfter], else
// exponential backoff with jitter ([WithBackoff]). A wait that would pass
// the context's deadline is not started, and a Retry-After that passes it
// is not waited at all: the caller gets the last response (or error) at
// once. When retries run out the caller gets the last response, with its
// status and body, never a bare "giving up". Nothing is retried once the
// context is done. [Response].Attempts counts the requests that left for
// the server.
//
// Every wait goes through a [WaitFunc] ([WithWait]; by default
// retryablehttp's own timer waits the backoff) and every time reading
// through a clock ([WithClock]), so tests run retries, backoff and rate
// limiting without sleeping.
//
// # Deadlines
//
// Each attempt has a deadline covering the response headers and the whole
// body ([WithRequestTimeout], default [DefaultRequestTimeout]): a server
// that trickles its answer ends the request with an error wrapping
// [ErrTimeout] that names the method and URL. Such a request is not
// retried.
//
// # Secrets
//
// Text from the server is scrubbed before it reaches the caller: every
// response body loses the static token, the latest tokens a [TokenFunc]
// returned and the values given to [WithSecrets]; error bodies (not 2xx)
// also lose anything shaped like an Authorization value ("Bearer …",
// "Basic …"); errors and log lines get the same treatment.
// [Client.Scrub] and [ScrubText] do it for other text. URLs never show user
// info, even in the error for a base URL that does not parse. Error texts
// name the request, never this package.
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
