package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/druvascim/druvascim/internal/logstore"
)

const demoToken = "demo-admin-token-0123456789abcdef"

// TestDemoServe: demo --serve records its cycles and leaves the page
// on loopback, where a sync-now with the token runs a third; it stops
// when its context ends.
func TestDemoServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &notifyBuffer{wrote: make(chan struct{}, 1)}
	done := make(chan int)
	go func() {
		env := &environment{stdout: io.Discard, stderr: stderr,
			getenv: func(k string) string { return map[string]string{adminTokenEnv: demoToken}[k] }}
		done <- run(ctx, env, []string{"demo", "--users", "60", "--groups", "3", "--serve", "--addr", "127.0.0.1:0"})
	}()
	urlRE := regexp.MustCompile(`Status page: (http://127\.0\.0\.1:\d+/)`)
	var base string
	for base == "" {
		select {
		case <-stderr.wrote:
		case status := <-done:
			t.Fatalf("demo ended with %d: %s", status, stderr.String())
		}
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
	}

	cycles := func() []logstore.Cycle {
		t.Helper()
		resp, err := http.Get(base + "api/cycles?tenant=demo")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Cycles []logstore.Cycle }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body.Cycles
	}
	cs := cycles()
	// Newest first: the approved cycle applies the 3 disables the
	// incremental one held next to its new hire.
	if len(cs) != 3 || cs[2].Kind != logstore.KindInitial || cs[1].Kind != logstore.KindIncremental ||
		cs[1].Actions["StagedDelete"] != 3 || cs[1].Actions["Create"] != 1 || cs[0].Actions["Disable"] != 3 {
		t.Fatalf("the demo's cycles: %+v", cs)
	}
	page := fetch(t, base)
	for _, want := range []string{"Synchronization details — demo", "Last 3 cycles", "Nina Newhire", `<svg id="chart"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if m := fetch(t, base+"metrics"); !strings.Contains(m, `druvascim_cycles_total{outcome="succeeded",tenant="demo"} 2`) {
		t.Errorf("metrics:\n%s", m)
	}
	screenshotDemo(t, base)

	req, _ := http.NewRequest("POST", base+"api/sync?tenant=demo", nil)
	req.Header.Set("Authorization", "Bearer "+demoToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(cycles()) != 4 {
		t.Errorf("sync now: %d, %d cycles", resp.StatusCode, len(cycles()))
	}
	cancel()
	if status := <-done; status != 0 {
		t.Errorf("demo --serve ended with %d: %s", status, stderr.String())
	}
}

func fetch(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// screenshotDemo saves the page as the README shows it, when
// DRUVASCIM_SCREENSHOTS names a directory and a Chromium is installed
// (the status page's own tests drive the browser in full).
func screenshotDemo(t *testing.T, base string) {
	dir := os.Getenv("DRUVASCIM_SCREENSHOTS")
	if dir == "" {
		return
	}
	var exe string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Log("DRUVASCIM_SCREENSHOTS is set but no Chromium is installed: no screenshot")
		return
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.WindowSize(1100, 1250))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancelT := context.WithTimeout(ctx, time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("chart")),
		chromedp.Click(chromedp.CSS("details.entry summary"))); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
