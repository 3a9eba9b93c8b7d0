package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Webhook posts events as JSON to an incoming-webhook URL. The body's
// plain "text" field is what Slack- and Teams-style incoming webhooks
// show; "event" carries the structured [Event]:
//
//	{"text": "druvasync contoso: Provisioning quarantined\n\n…", "event": {"kind": "quarantine", …}}
//
// The URL's path and query often hold the webhook's secret: errors and
// logs show only its scheme and host.
type Webhook struct {
	url     string
	shown   string
	client  *http.Client
	secrets scrubber
}

// WebhookOption configures [NewWebhook].
type WebhookOption func(*Webhook) error

// WithHTTPClient sets the HTTP client (copied; default: a client with a
// 30 s timeout).
func WithHTTPClient(c *http.Client) WebhookOption {
	return func(w *Webhook) error {
		if c == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalid)
		}
		cc := *c
		w.client = &cc
		return nil
	}
}

// NewWebhook returns a notifier posting to rawURL, which must be https
// (or http to a loopback address, for tests and local relays).
func NewWebhook(rawURL string, opts ...WebhookOption) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: NewWebhook: the URL is not an absolute http(s) URL", ErrInvalid)
	}
	shown := u.Scheme + "://" + u.Host + "/…"
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%w: NewWebhook: %s: use https (plain http only to a loopback address)", ErrInvalid, shown)
	}
	w := &Webhook{url: rawURL, shown: shown, client: &http.Client{Timeout: 30 * time.Second}}
	for _, opt := range opts {
		if err := opt(w); err != nil {
			return nil, err
		}
	}
	w.secrets = scrubber{rawURL, u.String(), u.RawQuery}
	if len(u.Path) > 1 {
		w.secrets = append(w.secrets, u.EscapedPath(), u.Path)
	}
	for _, vs := range u.Query() {
		w.secrets = append(w.secrets, vs...)
	}
	return w, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// webhookBody is the JSON posted.
type webhookBody struct {
	Text  string `json:"text"`
	Event Event  `json:"event"`
}

// Notify posts ev; any 2xx answer is success.
func (w *Webhook) Notify(ctx context.Context, ev Event) error {
	body, err := json.Marshal(webhookBody{Text: ev.Text(), Event: ev})
	if err != nil {
		return w.fail(ctx, 0, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return w.fail(ctx, 0, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return w.fail(ctx, 0, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return w.fail(ctx, resp.StatusCode, fmt.Errorf("answered %s: %q", resp.Status, bytes.TrimSpace(excerpt)))
	}
	return nil
}

func (w *Webhook) fail(ctx context.Context, status int, err error) error {
	return &DeliveryError{Channel: "webhook", Destination: w.shown, Detail: w.secrets.clean(err.Error()),
		StatusCode: status, ctxErr: ctx.Err()}
}

// String describes the notifier without the secret parts of its URL, so
// that printing it (even with %+v) shows no secret.
func (w *Webhook) String() string { return "webhook to " + w.shown }

// GoString is String, for %#v.
func (w *Webhook) GoString() string { return w.String() }
