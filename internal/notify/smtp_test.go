package notify_test

import (
	"crypto/x509"
	"testing"

	"github.com/druvascim/druvascim/internal/smtptest"
)

// message is one mail the test server accepted.
type message = smtptest.Message

// The ways the test server offers TLS.
const (
	startTLS = iota
	implicitTLS
	noTLS
)

// newSMTPServer starts a real SMTP server on loopback (internal/smtptest)
// that accepts AUTH PLAIN for user and offers TLS as mode says; it returns
// the server and a pool that trusts its certificate.
func newSMTPServer(t *testing.T, mode int, user, password string) (*smtptest.Server, *x509.CertPool) {
	t.Helper()
	var opts []smtptest.Option
	switch mode {
	case implicitTLS:
		opts = append(opts, smtptest.WithImplicitTLS())
	case noTLS:
		opts = append(opts, smtptest.WithoutTLS())
	}
	s, err := smtptest.NewServer(user, password, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.RootCAs
}
