package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// settings are the Entra settings and deadlines a run ends up with.
type settings struct {
	Scope          string
	DefaultAccess  bool
	SkipOutOfScope bool
	Actions        map[string]bool
	MaxDeletes     int
	Timeout        time.Duration
	RequestTimeout time.Duration
	Notification   string
}

// parseSettings parses args (and the configuration text, when not empty)
// as sync does, up to validation.
func parseSettings(t *testing.T, config string, args ...string) (settings, error) {
	t.Helper()
	if config != "" {
		path := filepath.Join(t.TempDir(), "druvasync.yaml")
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	var f syncFlags
	f.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if err := f.load(fs); err != nil {
		return settings{}, err
	}
	if err := f.validate(); err != nil {
		return settings{}, err
	}
	on, err := f.objectActions()
	if err != nil {
		return settings{}, err
	}
	return settings{Scope: f.scope, DefaultAccess: f.defaultAccess, SkipOutOfScope: f.skipOutOfScope, Actions: on,
		MaxDeletes: f.maxDeletes, Timeout: f.timeout, RequestTimeout: f.requestTimeout, Notification: f.fileCfg.NotificationEmail}, nil
}

const allSettings = `scope: all
includeDefaultAccess: true
skipOutOfScopeDeletions: true
targetObjectActions:
  delete: false
maxDeletes: 20
timeout: 45m
requestTimeout: 30s
notificationEmail: ops@contoso.example
`

// TestSettingsFromConfigAndFlags: every Entra setting that applies to the
// Druva app can be set in the configuration file, the main ones also as
// flags, and a flag wins over the file.
func TestSettingsFromConfigAndFlags(t *testing.T) {
	all := map[string]bool{"create": true, "update": true, "delete": true}
	tests := []struct {
		name   string
		config string
		args   []string
		want   settings
	}{
		{name: "defaults", want: settings{Scope: "assigned", Actions: all, MaxDeletes: 500, Timeout: 30 * time.Minute, RequestTimeout: 2 * time.Minute}},
		{name: "config file", config: allSettings, want: settings{Scope: "all", DefaultAccess: true, SkipOutOfScope: true,
			Actions: map[string]bool{"create": true, "update": true}, MaxDeletes: 20, Timeout: 45 * time.Minute,
			RequestTimeout: 30 * time.Second, Notification: "ops@contoso.example"}},
		{name: "flags win over the file", config: allSettings,
			args: []string{"--scope", "assigned", "--actions", "create", "--max-deletes", "3", "--timeout", "0", "--request-timeout", "5s",
				"--include-default-access=false", "--skip-out-of-scope-deletions=false"},
			want: settings{Scope: "assigned", Actions: map[string]bool{"create": true}, MaxDeletes: 3,
				RequestTimeout: 5 * time.Second, Notification: "ops@contoso.example"}},
		{name: "flags alone", args: []string{"--scope", "all", "--include-default-access", "--skip-out-of-scope-deletions", "--actions", "update, DELETE"},
			want: settings{Scope: "all", DefaultAccess: true, SkipOutOfScope: true, Actions: map[string]bool{"update": true, "delete": true},
				MaxDeletes: 500, Timeout: 30 * time.Minute, RequestTimeout: 2 * time.Minute}},
		{name: "no action on", args: []string{"--actions", ""},
			want: settings{Scope: "assigned", Actions: map[string]bool{}, MaxDeletes: 500, Timeout: 30 * time.Minute, RequestTimeout: 2 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSettings(t, tt.config, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("settings (-want +got):\n%s", d)
			}
		})
	}
}

// TestBadSettingsRefused: a wrong value is refused with an error that
// names it.
func TestBadSettingsRefused(t *testing.T) {
	tests := []struct {
		name, config string
		args         []string
		want         string
	}{
		{name: "scope", config: "scope: everyone\n", want: `scope "everyone"`},
		{name: "scope flag", args: []string{"--scope", "some"}, want: `scope "some"`},
		{name: "unknown action key", config: "targetObjectActions: {remove: false}\n", want: "remove"},
		{name: "unknown action flag", args: []string{"--actions", "create,purge"}, want: `unknown action "purge"`},
		{name: "timeout", config: "timeout: soon\n", want: `timeout: "soon" is not a duration`},
		{name: "request timeout", config: "requestTimeout: 1d\n", want: `requestTimeout: "1d" is not a duration`},
		{name: "request timeout too short", args: []string{"--request-timeout", "0"}, want: "--request-timeout must be at least 1s"},
		{name: "negative timeout", args: []string{"--timeout", "-1m"}, want: "--timeout must be 0"},
		{name: "notification email", config: "notificationEmail: ops at contoso\n", want: `notificationEmail "ops at contoso" is not an email address`},
		{name: "notification email with a name", config: "notificationEmail: Ops <ops@contoso.example>\n", want: "is not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSettings(t, tt.config, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestSettingsReachThePlan: the flags change what a plan does against the
// fakes: --actions without create creates nobody; --scope all reads
// unassigned users too; after users are unassigned,
// --skip-out-of-scope-deletions and --actions without delete disable
// nobody, where the default disables them.
func TestSettingsReachThePlan(t *testing.T) {
	g, d, vars, flags := fakePair(t)
	state := filepath.Join(t.TempDir(), "state.json")
	plan := func(args ...string) map[string]int {
		t.Helper()
		status, out, errOut := runCLI(t, vars, append(append([]string{"plan", "--json", "--state", state}, flags...), args...)...)
		if status != 0 {
			t.Fatalf("plan %v: status %d\n%s", args, status, errOut)
		}
		var res struct {
			Plan struct {
				Operations []struct {
					Action string `json:"action"`
					Reason string `json:"reason"`
				} `json:"operations"`
			} `json:"plan"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, op := range res.Plan.Operations {
			n[op.Action]++
			if op.Reason == "ActionNotAllowed" {
				n["ActionNotAllowed"]++
			}
		}
		return n
	}
	assigned := plan()
	if assigned["Create"] == 0 {
		t.Fatalf("the default plan creates nobody: %v", assigned)
	}
	if n := plan("--actions", "update,delete"); n["Create"] != 0 || n["ActionNotAllowed"] != assigned["Create"] {
		t.Errorf("--actions update,delete: %v; want no create and %d skipped as ActionNotAllowed", n, assigned["Create"])
	}
	if n := plan("--scope", "all"); n["Create"] <= assigned["Create"] {
		t.Errorf("--scope all creates %d, the default %d", n["Create"], assigned["Create"])
	}

	if status, _, errOut := runCLI(t, vars, append([]string{"sync", "--state", state}, flags...)...); status != 0 {
		t.Fatalf("sync: %d %s", status, errOut)
	}
	removed := 0
	for _, a := range g.Assignments() {
		if a.PrincipalType == "User" && removed < 3 {
			if err := g.RemoveAssignment(a.ID); err != nil {
				t.Fatal(err)
			}
			removed++
		}
	}
	if n := plan("--full"); n["Disable"] == 0 {
		t.Fatalf("after unassigning %d users the default plan disables nobody: %v", removed, n)
	}
	for _, args := range [][]string{{"--skip-out-of-scope-deletions"}, {"--actions", "create,update"}} {
		if n := plan(append(args, "--full")...); n["Disable"] != 0 || n["ActionNotAllowed"] == 0 {
			t.Errorf("%v: %v; want no disable, the unassigned users skipped as ActionNotAllowed", args, n)
		}
	}
	if d.Len() == 0 {
		t.Fatal("nothing synced")
	}
}
