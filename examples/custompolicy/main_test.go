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
	if !strings.Contains(text, "0 disables applied") || strings.Contains(text, " 0 vetoed") {
		t.Fatalf("the hook did not veto the disables:\n%s", text)
	}
	var before, after int
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "active Druva users:") {
			if _, err := fmtSscanf(line, &before, &after); err != nil {
				t.Fatal(err)
			}
		}
	}
	if before == 0 || before != after {
		t.Fatalf("active users changed: %d before, %d after\n%s", before, after, text)
	}
}

func fmtSscanf(line string, before, after *int) (int, error) {
	return fmt.Sscanf(line, "active Druva users: %d before the cycle, %d after", before, after)
}
