package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/mapping"
)

// Example runs one tenant over the fakes until its first cycle ends, then
// stops the service.
func Example() {
	graph, _ := entratest.NewServer(entratest.WithUsers(50), entratest.WithSeed(3))
	defer graph.Close()
	druva, _ := druvatest.NewServer()
	defer druva.Close()
	set := mapping.DruvaDefault()
	reader, _ := graph.Client(entra.WithAttributes(append(set.SourceAttributes(), "userPrincipalName", "displayName")...))
	dir, _ := os.MkdirTemp("", "service-example")
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "contoso.state")
	store, _ := druvascim.NewFileStore(state)

	waiting := make(chan time.Duration, 1)
	svc, err := service.New([]service.Tenant{{
		Name:    "contoso",
		Store:   store,
		Sidecar: service.SidecarPath(state),
		LogPath: service.LogPath(state),
		NewSyncer: func(opts ...druvascim.Option) (*druvascim.Syncer, error) {
			return druvascim.NewSyncer(reader, druva.Client(), set, store, opts...)
		},
	}}, service.WithJitter(0), service.WithAfter(func(tenant string, d time.Duration) <-chan time.Time {
		if tenant != "" {
			waiting <- d // the first cycle ended; the next is due in d
		}
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	next := <-waiting
	st, _ := svc.Status("contoso")
	stop()
	fmt.Println("run:", <-done)
	fmt.Println("state:", st.State, "ready:", st.Ready, "next cycle in:", next.Round(time.Minute))
	fmt.Println("Druva users match the links:", druva.Len() == st.LastCycle.Actions[druvascim.ActionCreate])
	// Output:
	// run: <nil>
	// state: idle ready: true next cycle in: 40m0s
	// Druva users match the links: true
}
