package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/druvascim/druvascim/mapping"
)

func TestCustomMapping(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"in scope: true",
		`"userName": "zoe.angstrom@backup.contoso.example"`,
		`"displayName": "Zoe Angstrom"`,
		`"organization": "Contoso Sales"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %s:\n%s", want, text)
		}
	}
	// The printed mapping file loads back into an equivalent set.
	_, file, ok := strings.Cut(text, "under mappings:):\n")
	if !ok {
		t.Fatalf("no mapping file printed:\n%s", text)
	}
	set, err := mapping.ParseSet([]byte(file))
	if err != nil {
		t.Fatalf("printed mapping file does not load: %v\n%s", err, file)
	}
	if len(set.Mappings()) != 5 || len(set.Scope()) != 1 {
		t.Errorf("reloaded set has %d mappings and %d scope groups", len(set.Mappings()), len(set.Scope()))
	}
}
