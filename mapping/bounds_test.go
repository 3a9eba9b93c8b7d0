package mapping

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// amplifier nests Replace depth times; each level turns every "a" into ten.
func amplifier(depth int) string {
	e := "[x]"
	for range depth {
		e = `Replace(` + e + `, "a", , , "aaaaaaaaaa", , )`
	}
	return e
}

// An expression that grows its output fails for that object with
// ErrValueTooLarge, in bounded memory, instead of exhausting the process.
func TestAmplifyingExpressionIsBounded(t *testing.T) {
	for _, depth := range []int{4, 7, 12} {
		text := amplifier(depth)
		e, err := ParseExpression(text)
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Evaluate(context.Background(), Attributes{"x": "a"})
		if depth == 4 {
			if err != nil || len(v.String()) != 10000 {
				t.Errorf("depth 4 (10,000 bytes, under the limit): %d bytes, %v", len(v.String()), err)
			}
			continue
		}
		var ee *EvalError
		if !errors.Is(err, ErrValueTooLarge) || !errors.As(err, &ee) {
			t.Fatalf("depth %d (%d characters): got %d bytes, err %v; want ErrValueTooLarge", depth, len(text), len(v.String()), err)
		}
		if ee.Function != "Replace" || !strings.Contains(err.Error(), "65536") {
			t.Errorf("error does not name the function and the limit: %v", err)
		}
	}
}
