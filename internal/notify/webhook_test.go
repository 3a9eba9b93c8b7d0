package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/druvascim/druvascim/internal/notify"
	"github.com/google/go-cmp/cmp"
)

const hookSecret = "T000-B000-XXXXsecretXXXX"

// hookReceiver is a real HTTP incoming-webhook receiver on loopback.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	status int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/services/"+hookSecret || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.status != http.StatusOK {
			http.Error(w, "invalid_token "+req.URL.String(), r.status)
			return
		}
		r.bodies = append(r.bodies, body)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) hookURL() string {
	return r.URL + "/services/" + hookSecret + "?token=" + hookSecret
}

func (r *hookReceiver) Texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		text, _ := b["text"].(string)
		out = append(out, strings.SplitN(text, "\n", 2)[0])
	}
	return out
}

func TestWebhook(t *testing.T) {
	r := newHookReceiver(t)
	w, err := notify.NewWebhook(r.hookURL(), notify.WithHTTPClient(r.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(t.Context(), quarantine()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	got := r.bodies
	r.mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d posts, want 1", len(got))
	}
	want := map[string]any{
		"text": quarantine().Text(),
		"event": map[string]any{"kind": "quarantine", "tenant": "contoso", "state": "raised", "time": "2026-03-01T09:00:00Z",
			"summary": "Provisioning stopped: 40% of the users would be disabled.", "reason": "EscrowThreshold",
			"nextAttempt": "2026-03-02T09:00:00Z", "command": "druvasync approve"},
	}
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("posted body (-want +got):\n%s", d)
	}
}

func TestWebhookFailureHidesTheURL(t *testing.T) {
	r := newHookReceiver(t)
	r.status = http.StatusForbidden
	w, err := notify.NewWebhook(r.hookURL(), notify.WithHTTPClient(r.Client()))
	if err != nil {
		t.Fatal(err)
	}
	err = w.Notify(t.Context(), quarantine())
	var de *notify.DeliveryError
	if !errors.As(err, &de) || de.StatusCode != http.StatusForbidden || !errors.Is(err, notify.ErrDelivery) {
		t.Fatalf("Notify to a refusing receiver: %v", err)
	}
	if strings.Contains(err.Error(), hookSecret) {
		t.Errorf("the error shows the webhook's secret: %v", err)
	}
	r.Close() // now a connection error, whose text would name the URL
	err = w.Notify(t.Context(), quarantine())
	if err == nil || strings.Contains(err.Error(), hookSecret) {
		t.Errorf("Notify to a closed receiver: %v", err)
	}
	t.Log(err)
}

func TestNewWebhookValidates(t *testing.T) {
	for _, u := range []string{"", "hooks.example/x", "http://hooks.example/services/" + hookSecret, "ftp://127.0.0.1/x"} {
		_, err := notify.NewWebhook(u)
		if !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("NewWebhook(%q): %v, want ErrInvalid", u, err)
		}
		if err != nil && strings.Contains(err.Error(), hookSecret) {
			t.Errorf("NewWebhook(%q): the error shows the secret: %v", u, err)
		}
	}
	if _, err := notify.NewWebhook("https://hooks.example/services/x"); err != nil {
		t.Errorf("https: %v", err)
	}
}

// TestPrintingShowsNoSecret: a notifier printed in any way shows neither
// the SMTP password nor the webhook's secret.
func TestPrintingShowsNoSecret(t *testing.T) {
	e, err := notify.NewEmail("smtp.contoso.example", "a@contoso.example", []string{"b@contoso.example"},
		notify.WithAuth("druvasync", smtpPassword))
	if err != nil {
		t.Fatal(err)
	}
	w, err := notify.NewWebhook("https://hooks.example/services/" + hookSecret + "?token=" + hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{e, w} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, smtpPassword) || strings.Contains(out, hookSecret) {
				t.Errorf("Sprintf(%q) shows a secret: %s", format, out)
			}
		}
	}
	if got := fmt.Sprint(e, "; ", w); got != "email via smtp.contoso.example:587 to 1 recipient(s); webhook to https://hooks.example/…" {
		t.Errorf("printed as %q", got)
	}
}
