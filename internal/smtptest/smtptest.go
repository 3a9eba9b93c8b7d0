// Package smtptest is a real SMTP server on loopback for tests
// (github.com/emersion/go-smtp): STARTTLS with a self-signed certificate
// for 127.0.0.1 (or implicit TLS, or no TLS at all), AUTH PLAIN for one
// user, and every accepted message kept and announced on a channel, so a
// test waits for mail without sleeping.
//
//	srv, err := smtptest.NewServer("ops", "s3cret")
//	defer srv.Close()
//	email, err := notify.NewEmail("127.0.0.1", from, to, notify.WithPort(srv.Port),
//		notify.WithTLSConfig(&tls.Config{RootCAs: srv.RootCAs}), notify.WithAuth("ops", "s3cret"))
//	m := <-srv.Received
//
// It is internal: only this module's tests use it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail the server accepted.
type Message struct {
	From    string
	To      []string
	User    string // who authenticated
	TLS     bool
	Subject string
	Body    string
}

// Option sets how the server offers TLS.
type Option func(*options)

type options struct{ implicit, plain bool }

// WithImplicitTLS makes the server speak TLS from the first byte (as on
// port 465) instead of offering STARTTLS.
func WithImplicitTLS() Option { return func(o *options) { o.implicit = true } }

// WithoutTLS makes the server offer no TLS at all, to test that a client
// refuses to send its password in clear text.
func WithoutTLS() Option { return func(o *options) { o.plain = true } }

// Server is a running test SMTP server.
type Server struct {
	// Port is the loopback port it listens on; RootCAs trusts its
	// certificate.
	Port    int
	RootCAs *x509.CertPool
	// CertPEM is the server's certificate in PEM, for configuration files.
	CertPEM []byte
	// Received gets each accepted message (buffered; a test that does not
	// read it loses nothing, Messages still has them all).
	Received chan Message

	user, password string
	srv            *smtp.Server
	mu             sync.Mutex
	messages       []Message
	auths          int
}

// NewServer starts a server accepting user and password, offering
// STARTTLS unless an option says otherwise.
func NewServer(user, password string, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cert, pool, err := certificate()
	if err != nil {
		return nil, err
	}
	s := &Server{RootCAs: pool, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), Received: make(chan Message, 256), user: user, password: password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: s, conn: c, tls: isTLS}, nil
	}))
	s.srv.Domain = "127.0.0.1"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	switch {
	case o.implicit:
		l = tls.NewListener(l, tlsConfig)
	case !o.plain:
		s.srv.TLSConfig = tlsConfig
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Messages returns every message accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Auths counts the successful authentications so far.
func (s *Server) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// Subjects returns the subjects of the messages accepted so far.
func (s *Server) Subjects() []string {
	var out []string
	for _, m := range s.Messages() {
		out = append(out, m.Subject)
	}
	return out
}

func certificate() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	tls  bool // TLS from the first byte
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != s.srv.user || password != s.srv.password {
			return errors.New("invalid credentials")
		}
		s.user = user
		s.srv.mu.Lock()
		s.srv.auths++
		s.srv.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var text io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		text = quotedprintable.NewReader(msg.Body)
	}
	body, err := io.ReadAll(text)
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	_, isTLS := s.conn.TLSConnectionState()
	m := Message{From: s.from, To: slices.Clone(s.to), User: s.user, Subject: subject, TLS: isTLS || s.tls,
		Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, m)
	s.srv.mu.Unlock()
	select {
	case s.srv.Received <- m:
	default:
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
