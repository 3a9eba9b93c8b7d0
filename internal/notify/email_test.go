package notify_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/druvascim/druvascim/internal/notify"
	"github.com/google/go-cmp/cmp"
)

const smtpPassword = "pa55-W0rd-never-shown"

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newEmail(t *testing.T, port int, pool *x509.CertPool, opts ...notify.EmailOption) *notify.Email {
	t.Helper()
	opts = append([]notify.EmailOption{notify.WithPort(port), notify.WithTLSConfig(&tls.Config{RootCAs: pool}),
		notify.WithTimeout(10 * time.Second)}, opts...)
	e, err := notify.NewEmail("127.0.0.1", "druvasync@contoso.example",
		[]string{"ops@contoso.example", "security@contoso.example"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func quarantine() notify.Event {
	return notify.Event{Kind: notify.KindQuarantine, Tenant: "contoso", Time: t0, State: notify.StateRaised,
		Summary: "Provisioning stopped: 40% of the users would be disabled.", Reason: "EscrowThreshold",
		NextAttempt: t0.Add(24 * time.Hour), Command: "druvasync approve"}
}

func TestEmail(t *testing.T) {
	for name, mode := range map[string]int{"STARTTLS": startTLS, "implicit TLS": implicitTLS} {
		t.Run(name, func(t *testing.T) {
			srv, pool := newSMTPServer(t, mode, "druvasync", smtpPassword)
			var opts []notify.EmailOption
			if mode == implicitTLS {
				opts = append(opts, notify.WithImplicitTLS())
			}
			e := newEmail(t, srv.Port, pool, append(opts, notify.WithAuth("druvasync", smtpPassword))...)
			if err := e.Notify(t.Context(), quarantine()); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("%d messages, want 1", len(got))
			}
			m := got[0]
			want := message{From: "druvasync@contoso.example", To: []string{"ops@contoso.example", "security@contoso.example"},
				User: "druvasync", TLS: true, Subject: "druvasync contoso: Provisioning quarantined", Body: m.Body}
			if d := cmp.Diff(want, m); d != "" {
				t.Errorf("message (-want +got):\n%s", d)
			}
			for _, line := range []string{"Provisioning stopped: 40% of the users would be disabled.", "Reason: EscrowThreshold",
				"Next attempt: 2026-03-02 09:00 UTC", "Run: druvasync approve"} {
				if !strings.Contains(m.Body, line+"\n") {
					t.Errorf("the body lacks %q:\n%s", line, m.Body)
				}
			}
		})
	}
}

func TestEmailWrongPassword(t *testing.T) {
	srv, pool := newSMTPServer(t, startTLS, "druvasync", "the-right-one")
	e := newEmail(t, srv.Port, pool, notify.WithAuth("druvasync", smtpPassword))
	err := e.Notify(t.Context(), quarantine())
	if !errors.Is(err, notify.ErrDelivery) {
		t.Fatalf("Notify with a wrong password: %v, want ErrDelivery", err)
	}
	if strings.Contains(err.Error(), smtpPassword) || strings.Contains(err.Error(), "cGE1NS1XMHJk") {
		t.Errorf("the error shows the password: %v", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message went through without authentication")
	}
	t.Log(err)
}

// TestEmailNeedsTLS: a server that offers no STARTTLS gets neither the
// password nor the message.
func TestEmailNeedsTLS(t *testing.T) {
	srv, pool := newSMTPServer(t, noTLS, "druvasync", smtpPassword)
	e := newEmail(t, srv.Port, pool, notify.WithAuth("druvasync", smtpPassword))
	err := e.Notify(t.Context(), quarantine())
	if !errors.Is(err, notify.ErrDelivery) {
		t.Fatalf("Notify without TLS: %v, want ErrDelivery", err)
	}
	if auths := srv.Auths(); auths != 0 || len(srv.Messages()) != 0 {
		t.Errorf("in clear text: %d authentications, %d messages", srv.Auths(), len(srv.Messages()))
	}
	t.Log(err)
}

func TestNewEmailValidates(t *testing.T) {
	for name, f := range map[string]func() error{
		"no host": func() error { _, err := notify.NewEmail("", "a@b.example", []string{"c@d.example"}); return err },
		"bad sender": func() error {
			_, err := notify.NewEmail("smtp.example", "not an address", []string{"c@d.example"})
			return err
		},
		"no recipient": func() error { _, err := notify.NewEmail("smtp.example", "a@b.example", nil); return err },
		"bad recipient": func() error {
			_, err := notify.NewEmail("smtp.example", "a@b.example", []string{"c@d.example", "x"})
			return err
		},
		"bad port": func() error {
			_, err := notify.NewEmail("smtp.example", "a@b.example", []string{"c@d.example"}, notify.WithPort(70000))
			return err
		},
		"half auth": func() error {
			_, err := notify.NewEmail("smtp.example", "a@b.example", []string{"c@d.example"}, notify.WithAuth("u", ""))
			return err
		},
	} {
		if err := f(); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
