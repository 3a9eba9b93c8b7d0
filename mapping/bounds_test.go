package mapping

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
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

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// regexHeavySet is a mapping file of n mappings, each an expression of
// about 10,000 characters made of nested Replace calls with distinct
// regular-expression literals.
func regexHeavySet(n int) []byte {
	var b strings.Builder
	b.WriteString("mappings:\n  - target: userName\n    direct: upn\n    match: 1\n")
	for i := range n {
		e := "[x]"
		for j := 0; len(e) < 9800; j++ {
			e = fmt.Sprintf(`Replace(%s, , "(a|b|[c-z]{2,9})+q%d_%d", , "d", , )`, e, i, j)
		}
		fmt.Fprintf(&b, "  - target: urn:ietf:params:scim:schemas:extension:X:2.0:User:a%d\n    expression: '%s'\n", i, e)
	}
	return []byte(b.String())
}

// A hostile or damaged mapping file is refused with a clear error, in
// memory bounded well below what compiling it would cost.
func TestOversizedMappingFileRefused(t *testing.T) {
	big := regexHeavySet(800) // about 8 MB
	var err error
	if n := allocated(func() { _, err = ParseSet(big) }); n > 1<<20 {
		t.Errorf("refusing %d bytes allocated %d bytes", len(big), n)
	}
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d bytes: %v", len(big), err)
	}
	heavy := regexHeavySet(90) // under maxConfigSize, over maxRegexes
	if len(heavy) > maxConfigSize {
		t.Fatalf("fixture is %d bytes", len(heavy))
	}
	if n := allocated(func() { _, err = ParseSet(heavy) }); n > 64<<20 {
		t.Errorf("refusing %d bytes allocated %d MB", len(heavy), n>>20)
	}
	if !errors.Is(err, ErrInvalidSet) || !strings.Contains(err.Error(), "more than 500 regular expressions") {
		t.Errorf("regex-heavy set: %.300v", err)
	}
	var many strings.Builder
	many.WriteString("mappings:\n")
	for i := range maxMappings + 1 {
		fmt.Fprintf(&many, "  - {target: 'urn:ietf:params:scim:schemas:extension:X:2.0:User:a%d', direct: x}\n", i)
	}
	if _, err := ParseSet([]byte(many.String())); !errors.Is(err, ErrInvalidSet) || !strings.Contains(err.Error(), "at most 500") {
		t.Errorf("%d mappings: %.300v", maxMappings+1, err)
	}
}

// A regular expression in an expression that times out on one object's
// value fails that object's mapping with ErrRegexTimeout, naming the
// function and not quoting the value.
func TestReplaceRegexTimeout(t *testing.T) {
	set, err := DruvaDefault().With(Mapping{Target: "title", Type: TypeExpression,
		Source: `Replace([jobTitle], , "^(a+)+$", , "x", , )`})
	if err != nil {
		t.Fatal(err)
	}
	if set, err = set.WithOptions(WithRegexTimeout(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	u := realisticUser()
	u["jobTitle"] = strings.Repeat("a", 40) + "!"
	_, err = set.Map(context.Background(), u)
	var me *MappingError
	if !errors.Is(err, ErrRegexTimeout) || !errors.As(err, &me) || me.Target != "title" || strings.Contains(err.Error(), "aaaa") {
		t.Errorf("Map: %v", err)
	}
}
