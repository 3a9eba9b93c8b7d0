package jsonx

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxEncodeDepth bounds the nesting of maps and slices that the fast path
// walks itself. A deeper value (a cyclic one is infinitely deep) is handed
// to json.Marshal whole: json.Marshal starts looking for cycles after 1000
// levels, and the type its cycle error names depends on the level at which
// it started, so only a call on the whole value gives its exact result.
const maxEncodeDepth = 1000

// marshalWhole is returned by the fast path when only json.Marshal of the
// whole value gives the right result: the value nests deeper than
// maxEncodeDepth, or a part of it handed to json.Marshal holds a cycle.
type marshalWhole struct{}

func (marshalWhole) Error() string { return "jsonx: value must be encoded by json.Marshal as a whole" }

// Marshal is AppendMarshal(nil, v).
func Marshal(v any) ([]byte, error) {
	// Encode into a buffer on the goroutine stack and copy the result
	// out once, instead of growing a heap slice step by step.
	var buf [1024]byte
	b, err := AppendMarshal(buf[:0], v)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// AppendMarshal appends the JSON encoding of v to dst; the bytes are identical to
// json.Marshal(v). Fast paths for nil, string, bool, json.Number, float64, int, int64,
// []any, []string and map[string]any, at any depth; everything else
// (structs, pointers, types with a MarshalJSON method, named types such as
// a named map[string]any, other numeric types, ...) is encoded by calling
// json.Marshal on that value and appending the result, so it stays correct.
//
// The error, if any, is the one json.Marshal(v) returns (for example a
// *json.UnsupportedValueError for NaN or a cycle, or an error for an
// invalid json.Number); then AppendMarshal returns dst with its original
// length.
func AppendMarshal(dst []byte, v any) ([]byte, error) {
	n := len(dst)
	b, err := appendValue(dst, v, 0)
	if err != nil {
		if _, ok := err.(marshalWhole); ok {
			// Deep or cyclic: json.Marshal walks the whole value. (A
			// MarshalJSON method met before that point is called twice.)
			out, err := json.Marshal(v)
			if err != nil {
				return dst[:n], err
			}
			return append(dst[:n], out...), nil
		}
		return dst[:n], err
	}
	return b, nil
}

// appendValue appends v at the given depth of nested maps and slices.
// It is the only recursive function of the encoder: the Go compiler keeps
// Marshal's buffer on the goroutine stack through direct recursion, not
// through mutual recursion.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		if v {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case json.Number:
		s := string(v)
		if s == "" {
			s = "0" // encoding/json writes the zero Number as 0
		}
		if !validNumber(s) {
			return appendDelegate(b, v) // json.Marshal's error
		}
		return append(b, s...), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return appendDelegate(b, v) // json.Marshal's error
		}
		return appendFloat(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if depth >= maxEncodeDepth {
			return b, marshalWhole{}
		}
		// encoding/json sorts the members by key, byte-wise
		// (strings.Compare).
		var small [16]keyValue
		members := small[:0]
		if len(v) > len(small) {
			members = make([]keyValue, 0, len(v))
		}
		for k, e := range v {
			members = append(members, keyValue{k, e})
		}
		slices.SortFunc(members, func(x, y keyValue) int { return strings.Compare(x.key, y.key) })
		b = append(b, '{')
		var err error
		for i, m := range members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			if b, err = appendValue(b, m.val, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if depth >= maxEncodeDepth {
			return b, marshalWhole{}
		}
		b = append(b, '[')
		var err error
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	default:
		return appendDelegate(b, v)
	}
}

// appendDelegate appends json.Marshal(v).
func appendDelegate(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		if e, ok := err.(*json.UnsupportedValueError); ok && strings.HasPrefix(e.Str, "encountered a cycle") {
			return b, marshalWhole{}
		}
		return b, err
	}
	return append(b, out...), nil
}

// appendFloat formats a finite f as encoding/json does: like
// ECMAScript's Number to string, i.e. %f for 1e-6 <= |f| < 1e21 (and 0),
// otherwise %e with the exponent's leading zero removed (1e-07 → 1e-7).
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// strconv writes at least two exponent digits: e-07 becomes e-7.
		n := len(b)
		if n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// validNumber reports whether s is a JSON number literal (RFC 8259
// section 6), the check encoding/json applies to a json.Number.
func validNumber(s string) bool {
	end, bad := scanNumber(s, 0)
	return bad == "" && end == len(s)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way json.Marshal does:
// '"' and '\\' escaped with a backslash, \b \f \n \r \t by name, other
// control characters and the HTML-sensitive '<', '>', '&' as \u00XX,
// U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid UTF-8
// as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight bytes at once while none needs a second look: none
		// is < 0x20, '"', '\\', '<', '>', '&' or >= 0x80. (See skipPlain.)
		for i+8 <= len(s) {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			if ((w-0x20*lsbs)|((w^'"'*lsbs)-lsbs)|((w^'\\'*lsbs)-lsbs)|
				((w^'<'*lsbs)-lsbs)|((w^'>'*lsbs)-lsbs)|((w^'&'*lsbs)-lsbs)|w)&msbs != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
