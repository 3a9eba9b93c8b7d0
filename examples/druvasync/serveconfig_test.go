package main

import (
	"os"
	"strings"
	"testing"
)

// TestServeConfigErrors: serve refuses bad configuration with exit 2 and
// a sentence naming what is wrong.
func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, text, want string }{
		{"both forms", "state: a.state\ntenants:\n  - name: x\n    state: b.state\n", "not both"},
		{"unknown key", "tenants:\n  - name: x\n    stat: b.state\n", "stat"},
		{"no state", "tenants:\n  - name: x\n    servicePrincipalId: sp\n", "state:"},
		{"bad name", "tenants:\n  - name: 'a b'\n    state: b.state\n", "name \"a b\""},
		{"public listen", "listen: 0.0.0.0:8470\nstate: a.state\nservicePrincipalId: sp\n", "not a loopback address"},
		{"bad interval", "interval: often\nstate: a.state\nservicePrincipalId: sp\n", "interval"},
		{"shared token", "tenants:\n  - name: x\n    state: x.state\n    servicePrincipalId: sp\n  - name: y\n    state: y.state\n    servicePrincipalId: sp\n", "each of several tenants needs its own Druva token"},
		{"log", "state: a.state\nservicePrincipalId: sp\nlog: x.jsonl\n", "remove log:"},
	}
	for _, c := range cases {
		path := dir + "/" + strings.ReplaceAll(c.name, " ", "-") + ".yaml"
		if err := writeFile(path, c.text); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := runCLI(t, map[string]string{"DRUVA_TOKEN": "t", "GRAPH_TOKEN": "g"}, "serve", "--config", path)
		if status != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: status %d, stderr %q (want exit 2 naming %q); stdout %q", c.name, status, errOut, c.want, out)
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
