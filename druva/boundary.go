package druva

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// boundaryError is an error of the client's HTTP machinery as a caller
// sees it: one "druva: " prefix, no name of the internal packages, and the
// original error still reachable with errors.Is and errors.As.
type boundaryError struct {
	msg string
	err error
}

func (e *boundaryError) Error() string { return e.msg }
func (e *boundaryError) Unwrap() error { return e.err }

// wrapErr returns err as a [boundaryError] whose text reads
// "druva: <context>: <err>", with context left out when empty and any
// "druva: " or internal package prefix of err's own text dropped.
func wrapErr(context string, err error) error {
	msg := strings.ReplaceAll(err.Error(), "httpx: ", "")
	for strings.HasPrefix(msg, "druva: ") {
		msg = strings.TrimPrefix(msg, "druva: ")
	}
	if context != "" {
		msg = context + ": " + msg
	}
	return &boundaryError{msg: "druva: " + msg, err: err}
}

// unreachable reports whether err says that no server could be reached at
// all: the connection was refused or the host name does not resolve. A
// retry a few seconds later finds the same; the URL or the network is
// wrong.
func unreachable(err error) bool {
	if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
		return !dnsErr.IsTimeout
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// unreachableError describes a failed connection attempt for a person:
// which host, why, and what to check.
func unreachableError(base string, err error) error {
	host := base
	if u, perr := url.Parse(base); perr == nil {
		host = u.Host
	}
	cause := "connection refused"
	if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
		cause = dnsErr.Error()
	}
	return &boundaryError{
		msg: fmt.Sprintf("druva: test connection: cannot reach %s: %s; check the base URL (Druva's is %s, or %s for GovCloud) and the network or proxy",
			host, cause, DefaultBaseURL, GovCloudBaseURL),
		err: err,
	}
}

// scimResources are the SCIM endpoints (RFC 7644 section 3.2) a base URL
// must not end in.
var scimResources = []string{"Users", "Groups", "Me", "ServiceProviderConfig", "Schemas", "ResourceTypes", "Bulk", ".search"}

// checkSCIMPath refuses base URLs that name a SCIM endpoint instead of the
// service root, and Druva hosts without the service's path.
func checkSCIMPath(u *url.URL) error {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, s := range segs {
		for _, r := range scimResources {
			if strings.EqualFold(s, r) {
				root := strings.Join(segs[:i], "/")
				return fmt.Errorf("base URL %s ends in /%s; give the SCIM service root without it: %s://%s/%s",
					u.Redacted(), s, u.Scheme, u.Host, root)
			}
		}
	}
	host := strings.ToLower(u.Hostname())
	if (host == "druva.com" || strings.HasSuffix(host, ".druva.com")) && !strings.EqualFold(segs[len(segs)-1], "scim") {
		return fmt.Errorf("base URL %s lacks the SCIM path; use %s://%s/insync/scim",
			u.Redacted(), u.Scheme, u.Host)
	}
	return nil
}

// checkToken refuses a token pasted with its "Bearer " prefix.
func checkToken(token string) error {
	if len(token) >= len("Bearer ") && strings.EqualFold(token[:len("Bearer ")], "Bearer ") {
		return errors.New(`druva: the token starts with "Bearer "; give the token alone, without the prefix (the client adds it)`)
	}
	return nil
}
