package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestLegalHoldPolicy(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	var unassigned, held, applied, vetoed, before, after int
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "unassigned:"):
			scan(t, line, "unassigned: %d users, %d of them on legal hold", &unassigned, &held)
		case strings.HasPrefix(line, "second cycle:"):
			scan(t, line, "second cycle: %d disables applied, %d vetoed by the legal-hold policy", &applied, &vetoed)
		case strings.HasPrefix(line, "active Druva users:"):
			scan(t, line, "active Druva users: %d before the cycle, %d after", &before, &after)
		}
	}
	if held == 0 || held == unassigned {
		t.Fatalf("the example should hold some but not all unassigned users:\n%s", text)
	}
	// Users still assigned through a group stay in scope, so not every
	// unassigned user leaves: but those on legal hold that leave are vetoed,
	// and every other user that leaves is disabled as usual.
	if vetoed == 0 || vetoed > held || applied == 0 || applied > unassigned-held || after != before-applied {
		t.Fatalf("want some of the %d held users vetoed and some of the other %d disabled:\n%s", held, unassigned-held, text)
	}
}

func scan(t *testing.T, line, format string, a, b *int) {
	t.Helper()
	if _, err := fmt.Sscanf(line, format, a, b); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
}
