package service

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/druvascim/druvascim/internal/smtptest"
	"github.com/google/go-cmp/cmp"
)

// hookReceiver is a real HTTP webhook receiver on loopback.
type hookReceiver struct {
	mu     sync.Mutex
	events []notify.Event
	texts  []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text  string       `json:"text"`
		Event notify.Event `json:"event"`
	}
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, body.Event)
	h.texts = append(h.texts, body.Text)
	h.mu.Unlock()
}

// got lists the notices received as "kind/key state".
func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		out = append(out, notice(e.Kind, e.Key, e.State))
	}
	return out
}

func notice(k notify.Kind, key string, s notify.State) string {
	if key != "" {
		return string(k) + "/" + key + " " + string(s)
	}
	return string(k) + " " + string(s)
}

// TestNotifications: a refused credential (which quarantines), held
// deprovisions: each sends exactly one email and one webhook when raised,
// a reminder once the period has passed, and one when it clears. The
// real SMTP server and webhook receiver get the same notices.
func TestNotifications(t *testing.T) {
	smtp, err := smtptest.NewServer("ops", "mail-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtp.Close() })
	hooks := &hookReceiver{}
	hs := httptest.NewServer(hooks)
	t.Cleanup(hs.Close)
	email, err := notify.NewEmail("127.0.0.1", "druvasync@contoso.example", []string{"ops@contoso.example", "it@contoso.example"},
		notify.WithPort(smtp.Port), notify.WithTLSConfig(&tls.Config{RootCAs: smtp.RootCAs}), notify.WithAuth("ops", "mail-secret"))
	if err != nil {
		t.Fatal(err)
	}
	hook, err := notify.NewWebhook(hs.URL + "/hook/secret-path")
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, "contoso", 60)
	r.spec.Policy.DeletionThreshold = 2
	r.spec.Notifiers = map[string]notify.Notifier{"email": email, "webhook": hook}
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec}, WithServiceURL("http://127.0.0.1:8080"))
	flush := func() {
		t.Helper()
		for _, d := range run.svc.tenants["contoso"].dispatchers {
			if err := d.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	// check waits for the cycle to end and compares the notices so far.
	check := func(when string, add ...string) wait {
		t.Helper()
		w := tm.next(t, run.done)
		flush()
		want = append(want, add...)
		if diff := cmp.Diff(want, hooks.got()); diff != "" {
			t.Fatalf("%s: webhook notices (-want +got):\n%s", when, diff)
		}
		if n := len(smtp.Messages()); n != len(want) {
			t.Fatalf("%s: %d emails for %d notices: %q", when, n, len(want), smtp.Subjects())
		}
		return w
	}
	// Each change below is made before the wait it follows is fired: a
	// fired wait starts the next cycle at once, which must see it.
	w := check("a converging cycle")
	var linked string
	for src := range loadState(t, r.state).Links {
		linked = src
		break
	}
	if err := r.g.Rename(linked, "renamed.user@contoso.example"); err != nil { // so the next cycle talks to Druva
		t.Fatal(err)
	}
	r.px.refuse.Store(true)
	tm.fire(w)
	w = check("credential refused", "quarantine raised", "credential-refused/druva raised")
	for range 4 { // 80 min to 1280 min later: within the reminder period
		tm.fire(w)
		w = check("still refused")
	}
	tm.fire(w)
	w = check("a day later", "quarantine reminder", "credential-refused/druva reminder")
	r.px.refuse.Store(false)
	tm.fire(w)
	check("credential accepted", "quarantine cleared", "credential-refused/druva cleared")
	unassign(t, r, 4)
	if err := run.svc.Do(t.Context(), "contoso", control.OpSyncNow); err != nil {
		t.Fatal(err)
	}
	tm.fire(check("deprovisions held", "deprovisions-held raised"))
	check("still held")
	if err := run.svc.Do(t.Context(), "contoso", control.OpApprove); err != nil {
		t.Fatal(err)
	}
	check("approved", "deprovisions-held cleared")

	for _, m := range smtp.Messages() {
		if !m.TLS || len(m.To) != 2 {
			t.Errorf("mail %q: TLS %v, to %v", m.Subject, m.TLS, m.To)
		}
		if strings.Contains(m.Body, "mail-secret") || strings.Contains(m.Body, r.d.Token) {
			t.Errorf("mail %q shows a secret", m.Subject)
		}
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	for _, e := range hooks.events {
		if e.Kind == notify.KindDeprovisionsHeld && e.State == notify.StateRaised {
			if e.Command != "druvasync approve --service http://127.0.0.1:8080 --tenant contoso" || e.Counts["disables"] != 4 {
				t.Errorf("held notice: command %q, counts %v", e.Command, e.Counts)
			}
		}
		if e.Kind == notify.KindQuarantine && e.State == notify.StateRaised && (e.Reason != reasonCredential || e.NextAttempt.IsZero()) {
			t.Errorf("quarantine notice: reason %q, next attempt %v", e.Reason, e.NextAttempt)
		}
	}
}

// TestNotifyFailuresAndToken: a cycle with failed entries sends one notice
// with the counts, the error codes and the command that lists them; a
// Druva token made 340 days ago warns at 30 days and again at 7.
func TestNotifyFailuresAndToken(t *testing.T) {
	hooks := &hookReceiver{}
	hs := httptest.NewServer(hooks)
	t.Cleanup(hs.Close)
	hook, err := notify.NewWebhook(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, "contoso", 40)
	r.px.reject.Store(3)
	r.spec.Notifiers = map[string]notify.Notifier{"webhook": hook}
	r.spec.DruvaTokenCreated = t0.Add(-340 * 24 * time.Hour)
	tm := newTimers()
	run := start(t, tm, []Tenant{r.spec})
	w := tm.next(t, run.done)
	if err := run.svc.tenants["contoso"].dispatchers["webhook"].Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	tm.clk.Advance(18 * 24 * time.Hour)
	tm.fire(w)
	tm.next(t, run.done)
	if err := run.svc.tenants["contoso"].dispatchers["webhook"].Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	var got []string
	for _, e := range hooks.events {
		got = append(got, notice(e.Kind, e.Stage, e.State))
		if e.Kind == notify.KindCycleFailures && e.State == notify.StateRaised {
			if e.Counts["Create"] != 3 || !cmp.Equal(e.ErrorCodes, []string{"BadRequest"}) || e.Command != "druvasync logs --status Failure --tenant contoso" {
				t.Errorf("failure notice: counts %v, codes %v, command %q", e.Counts, e.ErrorCodes, e.Command)
			}
		}
	}
	// The escrowed failures wait for their retry: the next cycle has none.
	want := []string{"cycle-failures raised", "token-expiry/30 days raised", "cycle-failures cleared", "token-expiry/7 days raised"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}
