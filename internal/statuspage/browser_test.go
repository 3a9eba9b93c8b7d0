package statuspage

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/druvascim/druvascim/internal/control"
)

// ScreenshotsEnv names a directory where the browser tests also save their
// screenshots.
const ScreenshotsEnv = "DRUVASCIM_SCREENSHOTS"

// findChromium returns the path of a Chromium-family browser, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium and returns its context, ended when
// the test ends. The deadline bounds a broken page, never paces the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := findChromium()
	if exe == "" {
		t.Skip("no Chromium found on PATH (chromium, chromium-browser or google-chrome): install one, for example apt-get install -y chromium, to run the browser tests")
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1200, 1400))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return ctx
}

// screenshot saves the page into the test's directory and, when
// DRUVASCIM_SCREENSHOTS names one, there too.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv(ScreenshotsEnv); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const e = document.querySelector(`+jsString(sel)+`); return !!e && e.textContent.includes(`+jsString(want)+`); })()`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func TestBrowserProgressSearchAndOperations(t *testing.T) {
	ctl := newFakeCtl("contoso")
	ctl.set("contoso", func(s *control.TenantStatus) { s.State, s.Running = control.StateRunning, running(10, 100) })
	srv := newTestServer(t, ctl, seedStore(t, 12), WithPollInterval(100*time.Millisecond))
	ctx := browser(t)

	// The running cycle's progress moves as the controller reports it.
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("progress-bar")))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("progress-text")))
	if err != nil {
		t.Fatal(err)
	}
	if text != "apply: 10 / 100" {
		t.Errorf("progress at load: %q", text)
	}
	ctl.set("contoso", func(s *control.TenantStatus) { s.Running = running(60, 100) })
	err = chromedp.Do(ctx, waitText("#progress-text", "apply: 60 / 100"),
		chromedp.Poll[chromedp.Void](`document.getElementById('progress-bar').value === 60`))
	if err != nil {
		t.Fatalf("the progress did not move: %v", err)
	}
	phase, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#phases li.current').dataset.phase`))
	if err != nil || phase != "apply" {
		t.Errorf("current phase %q, %v; want apply", phase, err)
	}
	screenshot(t, ctx, "progress")

	// Search the log for a user and open the entry.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("f-user"), "alice@contoso.example"),
		chromedp.Click(chromedp.ID("search-go")),
		chromedp.WaitVisible(chromedp.CSS(`#f-user[value="alice@contoso.example"]`)),
		chromedp.Click(chromedp.CSS("details.entry summary")),
		chromedp.WaitVisible(chromedp.CSS("details.entry[open] table.modified")))
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('details.entry').length`))
	if err != nil || n != 1 {
		t.Errorf("the search shows %d entries (%v), want 1", n, err)
	}
	detail, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("details.entry[open] .detail")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"department", `"Sales"`, `"Marketing"`, "druva-alice", "read from Entra"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the opened entry lacks %q: %q", want, detail)
		}
	}
	screenshot(t, ctx, "log-entry")

	// A wrong token is refused and pauses nothing.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("unlock")),
		chromedp.SendKeys(chromedp.ID("token"), "not-the-admin-token"),
		chromedp.Click(chromedp.ID("token-ok")),
		chromedp.WaitVisible(chromedp.ID("op-pause")),
		chromedp.Click(chromedp.ID("op-pause")),
		waitText("#op-message", "pause refused (401)"),
		chromedp.WaitVisible(chromedp.ID("unlock")))
	if err != nil {
		t.Fatalf("wrong token: %v", err)
	}
	if ops := ctl.operations(); len(ops) != 0 {
		t.Errorf("a wrong token ran %v", ops)
	}
	screenshot(t, ctx, "refused")

	// The admin token pauses and resumes. The page first shows the idle
	// state: hiding the progress moves the buttons up, and a click aimed
	// before the move would land beside them.
	ctl.set("contoso", func(s *control.TenantStatus) { s.State, s.Running = control.StateIdle, nil })
	err = chromedp.Do(ctx,
		waitText("#state", "idle"),
		chromedp.WaitNotVisible(chromedp.ID("progress")),
		chromedp.Click(chromedp.ID("unlock")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Click(chromedp.ID("token-ok")),
		chromedp.Click(chromedp.ID("op-pause")),
		waitText("#state", "paused"))
	if err != nil {
		t.Fatalf("pause: %v", err)
	}
	screenshot(t, ctx, "paused")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("op-resume")), waitText("#state", "idle"),
		waitText("#op-message", "resume: accepted")); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if got, want := ctl.operations(), []string{"contoso:pause", "contoso:resume"}; !slices.Equal(got, want) {
		t.Errorf("operations %v, want %v", got, want)
	}
}
