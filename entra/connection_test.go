package entra_test

import (
	"errors"
	"testing"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

func TestTestConnection(t *testing.T) {
	srv, err := entratest.NewServer(entratest.WithUsers(3), entratest.WithGroups(1))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	newReader := func(token string, opts ...entra.Option) *entra.Reader {
		t.Helper()
		r, err := entra.NewReader(entra.StaticToken(token), append([]entra.Option{entra.WithGraphURL(srv.URL)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		r    *entra.Reader
		want error
	}{
		{"by service principal id", newReader(srv.Token, entra.WithServicePrincipalID(srv.ServicePrincipalID)), nil},
		{"by app id", newReader(srv.Token, entra.WithAppID(srv.AppID)), nil},
		{"wrong token", newReader("expired", entra.WithServicePrincipalID(srv.ServicePrincipalID)), entra.ErrUnauthorized},
		{"unknown service principal", newReader(srv.Token, entra.WithServicePrincipalID("00000000-1111-2222-3333-444444444444")), entra.ErrNotFound},
		{"unknown app id", newReader(srv.Token, entra.WithAppID("00000000-1111-2222-3333-444444444444")), entra.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.TestConnection(t.Context())
			if tt.want == nil && err != nil {
				t.Fatalf("TestConnection: %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("TestConnection: %v, want %v", err, tt.want)
			}
		})
	}
}
