package control

import (
	"errors"
	"testing"
)

func TestParseOperation(t *testing.T) {
	for _, s := range []string{"sync", "pause", "resume", "restart", "approve"} {
		if op, err := ParseOperation(s); err != nil || string(op) != s {
			t.Errorf("ParseOperation(%q) = %q, %v", s, op, err)
		}
	}
	if _, err := ParseOperation("drop-tables"); !errors.Is(err, ErrUnknownOperation) {
		t.Errorf("an unknown operation: %v", err)
	}
}
