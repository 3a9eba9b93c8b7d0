package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Email sends events as plain-text mail over SMTP, always encrypted:
// STARTTLS (the default, port 587) or implicit TLS ([WithImplicitTLS],
// port 465).
type Email struct {
	host     string
	from     string
	to       []string
	port     int
	implicit bool
	user     string
	password string
	tls      *tls.Config
	timeout  time.Duration
	secrets  scrubber
}

// EmailOption configures [NewEmail].
type EmailOption func(*Email) error

// WithPort sets the SMTP port (default 587, or 465 with implicit TLS).
func WithPort(port int) EmailOption {
	return func(e *Email) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("%w: WithPort(%d): a port is 1 to 65535", ErrInvalid, port)
		}
		e.port = port
		return nil
	}
}

// WithImplicitTLS connects with TLS from the start (SMTPS) instead of
// STARTTLS.
func WithImplicitTLS() EmailOption {
	return func(e *Email) error { e.implicit = true; return nil }
}

// WithAuth authenticates with a user name and password (SMTP AUTH PLAIN
// or LOGIN, whichever the server offers, after TLS). The password never
// appears in an error or a log.
func WithAuth(user, password string) EmailOption {
	return func(e *Email) error {
		if user == "" || password == "" {
			return fmt.Errorf("%w: WithAuth: the user name and the password are both needed", ErrInvalid)
		}
		e.user, e.password = user, password
		return nil
	}
}

// WithTLSConfig sets the TLS configuration (for a private CA, say); it
// is cloned and its ServerName set to the host when empty.
func WithTLSConfig(c *tls.Config) EmailOption {
	return func(e *Email) error {
		if c == nil {
			return fmt.Errorf("%w: WithTLSConfig(nil)", ErrInvalid)
		}
		e.tls = c.Clone()
		return nil
	}
}

// WithTimeout bounds each SMTP connection (default 30 s).
func WithTimeout(d time.Duration) EmailOption {
	return func(e *Email) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTimeout(%v): the timeout must be positive", ErrInvalid, d)
		}
		e.timeout = d
		return nil
	}
}

// NewEmail returns a notifier that mails events from from to every
// address in to, through the SMTP server host.
func NewEmail(host, from string, to []string, opts ...EmailOption) (*Email, error) {
	e := &Email{host: host, from: from, to: append([]string(nil), to...), timeout: 30 * time.Second}
	if host == "" {
		return nil, fmt.Errorf("%w: NewEmail: the SMTP host is empty", ErrInvalid)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("%w: NewEmail: sender %q: %v", ErrInvalid, from, err)
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("%w: NewEmail: no recipient: give at least one address", ErrInvalid)
	}
	for _, addr := range to {
		if _, err := mail.ParseAddress(addr); err != nil {
			return nil, fmt.Errorf("%w: NewEmail: recipient %q: %v", ErrInvalid, addr, err)
		}
	}
	for _, opt := range opts {
		if err := opt(e); err != nil {
			return nil, err
		}
	}
	if e.port == 0 {
		e.port = 587
		if e.implicit {
			e.port = 465
		}
	}
	if e.tls == nil {
		e.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if e.tls.ServerName == "" {
		e.tls.ServerName = e.host
	}
	if e.password != "" {
		plain := "\x00" + e.user + "\x00" + e.password
		e.secrets = scrubber{e.password, base64.StdEncoding.EncodeToString([]byte(plain)),
			base64.StdEncoding.EncodeToString([]byte(e.password))}
	}
	if _, err := e.client(); err != nil {
		return nil, fmt.Errorf("%w: NewEmail: %s", ErrInvalid, e.secrets.clean(err.Error()))
	}
	return e, nil
}

// client builds a go-mail client for one delivery.
func (e *Email) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(e.port), gomail.WithTimeout(e.timeout),
		gomail.WithTLSConfig(e.tls.Clone()), gomail.WithTLSPolicy(gomail.TLSMandatory)}
	if e.implicit {
		opts = append(opts, gomail.WithSSL())
	}
	if e.password != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(e.user), gomail.WithPassword(e.password))
	}
	return gomail.NewClient(e.host, opts...)
}

// Notify mails ev to every recipient in one message.
func (e *Email) Notify(ctx context.Context, ev Event) error {
	msg := gomail.NewMsg()
	if err := msg.From(e.from); err != nil {
		return e.fail(ctx, err)
	}
	if err := msg.To(e.to...); err != nil {
		return e.fail(ctx, err)
	}
	msg.Subject(ev.Subject())
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, ev.Text())
	c, err := e.client()
	if err != nil {
		return e.fail(ctx, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return e.fail(ctx, err)
	}
	return nil
}

func (e *Email) fail(ctx context.Context, err error) error {
	de := &DeliveryError{Channel: "email", Destination: net.JoinHostPort(e.host, strconv.Itoa(e.port)),
		Detail: e.secrets.clean(err.Error())}
	de.ctxErr = ctx.Err()
	return de
}

// String describes the notifier without its password, so that printing
// it (even with %+v) shows no secret.
func (e *Email) String() string {
	return fmt.Sprintf("email via %s to %d recipient(s)", net.JoinHostPort(e.host, strconv.Itoa(e.port)), len(e.to))
}

// GoString is String, for %#v.
func (e *Email) GoString() string { return e.String() }
