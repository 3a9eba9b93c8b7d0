package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/druvascim/druvascim/internal/notify"
)

// A webhook receiver stands in for a Slack or Teams incoming webhook; the
// dispatcher reports the held deprovisions once, however many cycles see
// them, and once more when they are approved.
func Example() {
	received := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		received <- body.Text
	}))
	defer hook.Close()

	webhook, err := notify.NewWebhook(hook.URL + "/services/T000/B000/secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d, err := notify.NewDispatcher(webhook, notify.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)

	held := notify.Event{Kind: notify.KindDeprovisionsHeld, Tenant: "contoso",
		Summary: "12 users would be deleted; the deletes wait for approval.",
		Counts:  map[string]int{"Delete": 12}, Command: "druvasync approve"}
	for range 3 { // three cycles see the same held deletes
		d.Raise(held)
	}
	d.Clear(notify.Event{Kind: notify.KindDeprovisionsHeld, Tenant: "contoso", Summary: "The held deletes were approved."})
	if err := d.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	close(received)
	for text := range received {
		fmt.Println(text)
		fmt.Println("---")
	}
	// Output:
	// druvasync contoso: Deprovisions held for approval
	//
	// 12 users would be deleted; the deletes wait for approval.
	//
	// Tenant: contoso
	// Time: 2026-03-01 09:00 UTC
	// Counts: Delete 12
	// Run: druvasync approve
	//
	// ---
	// druvasync contoso: Held deprovisions released
	//
	// The held deletes were approved.
	//
	// Tenant: contoso
	// Time: 2026-03-01 09:00 UTC
	//
	// ---
}
