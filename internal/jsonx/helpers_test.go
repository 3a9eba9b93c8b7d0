package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stdDecodeObject is the reference DecodeObject is held to: encoding/json
// accepts b (json.Valid: valid JSON, one value, nothing after it but
// whitespace), a json.Decoder with UseNumber decodes it, and the value is
// an object.
func stdDecodeObject(b []byte) (map[string]any, error) {
	if !json.Valid(b) {
		return nil, errors.New("json.Valid: false")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// json.Valid already refused trailing data; the decoder must agree.
	if rest := bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n"); len(rest) != 0 {
		return nil, fmt.Errorf("trailing data %q", rest)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top-level value is %T, not an object", v)
	}
	return m, nil
}

// checkDecode fails t unless DecodeObject(b) and stdDecodeObject(b) agree
// on error-or-not and, without an error, on the value. It returns
// DecodeObject's results.
func checkDecode(t testing.TB, b []byte) (map[string]any, error) {
	t.Helper()
	got, gotErr := DecodeObject(b)
	want, wantErr := stdDecodeObject(b)
	switch {
	case gotErr != nil && wantErr == nil:
		t.Fatalf("DecodeObject(%.200q): error %v; encoding/json accepts it as %#v", b, gotErr, want)
	case gotErr == nil && wantErr != nil:
		t.Fatalf("DecodeObject(%.200q) = %#v; encoding/json refuses it: %v", b, got, wantErr)
	case gotErr != nil:
		var se *SyntaxError
		if !errors.As(gotErr, &se) {
			t.Fatalf("DecodeObject(%.200q): error %T %v, want a *SyntaxError", b, gotErr, gotErr)
		}
		if se.Offset < 0 || se.Offset > int64(len(b)) {
			t.Fatalf("DecodeObject(%.200q): error offset %d outside the input (%d bytes)", b, se.Offset, len(b))
		}
		if got != nil {
			t.Fatalf("DecodeObject(%.200q): non-nil map %#v with error %v", b, got, gotErr)
		}
	default:
		// reflect.DeepEqual also tells an empty slice or map from a nil one.
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeObject(%.200q) differs from encoding/json (-encoding/json +jsonx):\n%s", b, cmp.Diff(want, got))
		}
	}
	return got, gotErr
}

// checkMarshal fails t unless Marshal(v) and AppendMarshal of v after a
// prefix give exactly json.Marshal(v)'s bytes, or the same error.
func checkMarshal(t testing.TB, v any) []byte {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, gotErr := Marshal(v)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("Marshal(%s) = %.200q, %v; json.Marshal gives %.200q, %v", short(v), got, gotErr, want, wantErr)
	}
	if wantErr != nil {
		if gotErr.Error() != wantErr.Error() {
			t.Fatalf("Marshal(%s): error %q; json.Marshal's is %q", short(v), gotErr, wantErr)
		}
		if reflect.TypeOf(gotErr) != reflect.TypeOf(wantErr) {
			t.Fatalf("Marshal(%s): error type %T; json.Marshal's is %T", short(v), gotErr, wantErr)
		}
		if got != nil {
			t.Fatalf("Marshal(%s): %q with error %v, want nil", short(v), got, gotErr)
		}
	} else if !bytes.Equal(got, want) {
		t.Fatalf("Marshal(%s)\n got %.300q\nwant %.300q (json.Marshal)", short(v), got, want)
	}

	prefix := []byte("prefix:")
	dst := append(make([]byte, 0, 64), prefix...)
	out, err := AppendMarshal(dst, v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendMarshal(%s): error %v; json.Marshal's is %v", short(v), err, wantErr)
	}
	wantOut := append(append([]byte(nil), prefix...), want...)
	if !bytes.Equal(out, wantOut) {
		t.Fatalf("AppendMarshal(%q, %s) = %.200q, want %.200q", prefix, short(v), out, wantOut)
	}
	return got
}

// short describes v for a failure message in at most about 200 bytes. It
// does not use fmt's %v on containers, which never ends on a cyclic map.
func short(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = fmt.Sprintf("%q", v)
	case json.Number:
		s = fmt.Sprintf("json.Number(%q)", string(v))
	case float64:
		s = fmt.Sprintf("float64(%v)", v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("a %T (json.Marshal: %v)", v, err)
		}
		s = fmt.Sprintf("%T %s", v, b)
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func readUser(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "user.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
