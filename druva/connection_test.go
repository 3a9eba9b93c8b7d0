package druva_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/druva"
)

// refusedURL returns a loopback URL on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/scim"
}

// TestConnectionFailsFastWhenUnreachable: a refused connection or a name
// that does not resolve is a wrong URL or a network fault, not a blip;
// TestConnection says so at once instead of retrying for seconds.
func TestConnectionFailsFastWhenUnreachable(t *testing.T) {
	t.Parallel()
	dnsFail := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "apis.druva.example", IsNotFound: true}}
	}}}
	for name, tc := range map[string]struct {
		opts []druva.Option
		want string
	}{
		"refused": {[]druva.Option{druva.WithBaseURL(refusedURL(t))}, "connection refused"},
		"dns":     {[]druva.Option{druva.WithHTTPClient(dnsFail)}, "no such host"},
	} {
		ft := newFakeTime()
		c, err := druva.NewClient("tok", append(tc.opts, druva.WithRateLimit(0, 0), druva.WithWait(ft.Wait))...)
		if err != nil {
			t.Fatal(err)
		}
		err = c.TestConnection(t.Context())
		if err == nil {
			t.Fatalf("%s: TestConnection succeeded", name)
		}
		if waited := ft.Waits(); len(waited) != 0 {
			t.Errorf("%s: TestConnection waited %v before failing; want no retries", name, waited)
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "cannot reach") {
			t.Errorf("%s: error %q does not say the server cannot be reached (%s)", name, msg, tc.want)
		}
		checkErrorText(t, msg)
	}
}

// checkErrorText fails when an error's text repeats the package prefix or
// names the internal HTTP package.
func checkErrorText(t *testing.T, msg string) {
	t.Helper()
	if strings.Count(msg, "druva: ") > 1 {
		t.Errorf("error repeats its prefix: %q", msg)
	}
	if strings.Contains(msg, "httpx") {
		t.Errorf("error names the internal package httpx: %q", msg)
	}
}

// TestErrorTextAtTheBoundary: errors of the sync path name no internal
// package and carry the druva prefix once.
func TestErrorTextAtTheBoundary(t *testing.T) {
	t.Parallel()
	ft := newFakeTime()
	c, err := druva.NewClient("tok", druva.WithBaseURL(refusedURL(t)), druva.WithRateLimit(0, 0), druva.WithWait(ft.Wait), druva.WithRetryMax(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(t.Context(), "u1")
	if err == nil {
		t.Fatal("GetUser on a refused port succeeded")
	}
	checkErrorText(t, err.Error())
	if !errors.Is(err, errors.Unwrap(err)) {
		t.Errorf("error %v does not wrap its cause", err)
	}
}

// TestNewClientRefusesWrongURLsAndTokens: the mistakes a new user makes
// are refused up front, with what to give instead.
func TestNewClientRefusesWrongURLsAndTokens(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		token, url string
		want       []string
	}{
		"host only":           {"t", "https://apis.druva.com", []string{"https://apis.druva.com/insync/scim"}},
		"host slash":          {"t", "https://apis.druva.com/", []string{"https://apis.druva.com/insync/scim"}},
		"Users appended":      {"t", "https://apis.druva.com/insync/scim/Users", []string{"/Users", "https://apis.druva.com/insync/scim"}},
		"Users/ appended":     {"t", "https://apis.druva.com/insync/scim/Users/", []string{"/Users", "https://apis.druva.com/insync/scim"}},
		"Groups appended":     {"t", "https://govcloudapis.druva.com/insync/scim/Groups", []string{"/Groups"}},
		"fake with Users":     {"t", "http://127.0.0.1:1/scim/Users", []string{"/Users"}},
		"bearer prefix":       {"Bearer abc", druva.DefaultBaseURL, []string{`"Bearer "`, "without"}},
		"bearer lower prefix": {"bearer abc", druva.DefaultBaseURL, []string{`"Bearer "`, "without"}},
	} {
		_, err := druva.NewClient(tc.token, druva.WithBaseURL(tc.url))
		if err == nil {
			t.Errorf("%s: NewClient accepted %q", name, tc.url)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), "abc") {
			t.Errorf("%s: error %q shows the token", name, err)
		}
		checkErrorText(t, err.Error())
	}
	for _, ok := range []string{druva.DefaultBaseURL, druva.DefaultBaseURL + "/", druva.GovCloudBaseURL, "http://127.0.0.1:1", "http://127.0.0.1:1/scim"} {
		if _, err := druva.NewClient("t", druva.WithBaseURL(ok)); err != nil {
			t.Errorf("NewClient refused %q: %v", ok, err)
		}
	}
}
