package statuspage

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ListenConfig is where the page listens and how it is protected.
type ListenConfig struct {
	// Addr is host:port. The host must be a loopback address or
	// "localhost" unless TLS and an admin token are configured.
	Addr string
	// CertFile and KeyFile enable TLS (both or neither).
	CertFile, KeyFile string
	// AdminToken is the token of the write operations.
	AdminToken string
}

// ErrExposed reports a listen address beyond loopback without TLS or an
// admin token.
var ErrExposed = errors.New("statuspage: refusing to listen beyond loopback")

// Loopback reports whether addr's host is a loopback address or
// "localhost". An empty host ("":8080) listens on every interface, so it
// is not loopback.
func Loopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("statuspage: listen address %q: %w; use host:port, for example 127.0.0.1:8080", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false, nil // a host name other than localhost may resolve anywhere
	}
	return ip.IsLoopback(), nil
}

// CheckListen refuses a configuration that would expose the service: any
// address other than loopback needs TLS (cert and key) and an admin
// token. The error says what is missing.
func CheckListen(c ListenConfig) error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("statuspage: TLS needs both a certificate and a key file; one of them is missing")
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return errors.New("statuspage: the admin token is shorter than 16 characters; use a long random value")
	}
	lo, err := Loopback(c.Addr)
	if err != nil || lo {
		return err
	}
	var missing []string
	if c.CertFile == "" {
		missing = append(missing, "TLS (a certificate and a key file)")
	}
	if c.AdminToken == "" {
		missing = append(missing, "an admin token")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s is not a loopback address, so the service needs %s; configure them, or listen on 127.0.0.1",
			ErrExposed, c.Addr, strings.Join(missing, " and "))
	}
	return nil
}
