package statuspage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/druvascim/druvascim/internal/control"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/statuspage"
)

// oneTenant is a Controller with one idle tenant.
type oneTenant struct{}

func (oneTenant) Tenants() []string { return []string{"contoso"} }
func (oneTenant) Status(t string) (control.TenantStatus, error) {
	return control.TenantStatus{Tenant: t, State: control.StateIdle, Ready: true}, nil
}
func (oneTenant) Do(context.Context, string, control.Operation) error { return nil }

func Example() {
	addr := "127.0.0.1:8080"
	token := "a-long-random-admin-token-0123456789"
	if err := statuspage.CheckListen(statuspage.ListenConfig{Addr: addr, AdminToken: token}); err != nil {
		fmt.Println(err)
		return
	}
	m, err := metrics.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := statuspage.New(oneTenant{}, func(string) logstore.Store { return nil },
		statuspage.WithAdminToken(token), statuspage.WithMetrics(m))
	if err != nil {
		fmt.Println(err)
		return
	}
	// http.ListenAndServe(addr, h) in a program; here, one request:
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())

	err = statuspage.CheckListen(statuspage.ListenConfig{Addr: "0.0.0.0:8080", AdminToken: token})
	fmt.Println(err)
	// Output:
	// 200 ready
	// statuspage: refusing to listen beyond loopback: 0.0.0.0:8080 is not a loopback address, so the service needs TLS (a certificate and a key file); configure them, or listen on 127.0.0.1
}
