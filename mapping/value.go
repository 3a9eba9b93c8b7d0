package mapping

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a [Value].
type Kind uint8

// The kinds of [Value].
const (
	KindNull     Kind = iota // no value: an absent attribute, or a function that gave nothing
	KindString               // text
	KindBool                 // True or False
	KindInteger              // a 64-bit integer
	KindDateTime             // an instant, always in UTC
	KindMulti                // a multi-valued result: one or more strings
)

// String names the kind ("NULL", "String", "Boolean", "Integer", "DateTime", "Multi").
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindString:
		return "String"
	case KindBool:
		return "Boolean"
	case KindInteger:
		return "Integer"
	case KindDateTime:
		return "DateTime"
	case KindMulti:
		return "Multi"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// RedactedText is what a redacted [Value] prints as in reports and logs.
const RedactedText = "[Redact]"

// Value is the result of evaluating an expression, or one source attribute
// seen through the expression language. The zero Value is NULL.
//
// A Value knows its [Kind] and renders as Entra renders mapped values:
// Booleans as "True"/"False", integers in decimal, DateTime values as
// M/d/yyyy h:mm:ss tt in UTC.
//
// A Value produced by Redact is marked: [Value.String] still returns the real
// text (it is what gets sent), but formatting it with the fmt package, or
// logging it with log/slog, prints [RedactedText].
type Value struct {
	kind     Kind
	redacted bool
	s        string   // KindString
	n        int64    // KindInteger; KindBool (0/1); KindDateTime (.NET ticks, UTC)
	list     []string // KindMulti; never empty
}

// StringValue returns a string [Value].
func stringValue(s string) Value { return Value{kind: KindString, s: s} }

// BoolValue returns a Boolean [Value].
func boolValue(b bool) Value {
	if b {
		return Value{kind: KindBool, n: 1}
	}
	return Value{kind: KindBool}
}

// IntValue returns an integer [Value].
func intValue(i int64) Value { return Value{kind: KindInteger, n: i} }

// TimeValue returns a DateTime [Value] for t (converted to UTC).
// Times before year 1 or after year 9999 are clamped to that range.
func timeValue(t time.Time) Value { return Value{kind: KindDateTime, n: timeToTicks(t)} }

// MultiValue returns a multi-valued [Value] holding values (not copied: do
// not change the slice afterwards). With no values it returns NULL.
func multiValue(values []string) Value {
	if len(values) == 0 {
		return Value{}
	}
	return Value{kind: KindMulti, list: values}
}

// Kind reports the kind of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether no value flows: v is NULL (an absent attribute, a
// function that produced nothing, or IgnoreFlowIfNullOrEmpty dropped it).
func (v Value) IsNull() bool { return v.kind == KindNull }

// IsRedacted reports whether v was produced by Redact and must print as
// [RedactedText] in reports and logs.
func (v Value) IsRedacted() bool { return v.redacted }

// Redacted returns v marked (or unmarked) as redacted.
func (v Value) withRedacted(on bool) Value {
	v.redacted = on
	return v
}

// String returns the single value as Entra renders it: the text itself,
// "True"/"False", a decimal integer, or a DateTime as M/d/yyyy h:mm:ss tt in
// UTC. A multi-valued Value renders its first value; NULL renders as "".
// String ignores redaction: it is the value that is sent. Use
// [Value.LogValue] (or fmt, which uses it) for anything a person reads.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return v.s
	case KindBool:
		if v.n != 0 {
			return "True"
		}
		return "False"
	case KindInteger:
		return strconv.FormatInt(v.n, 10)
	case KindDateTime:
		return formatEntraTime(ticksToTime(v.n))
	case KindMulti:
		return v.list[0]
	}
	return ""
}

// Strings returns every value of a multi-valued result, or the single value
// as a one-element slice, rendered as [Value.String] does. NULL gives nil.
// The slice is a fresh copy the caller may modify.
func (v Value) Strings() []string {
	switch v.kind {
	case KindNull:
		return nil
	case KindMulti:
		return slices.Clone(v.list)
	}
	return []string{v.String()}
}

// Len returns the number of values: 0 for NULL, the count of a multi-valued
// result, otherwise 1.
func (v Value) Len() int {
	switch v.kind {
	case KindNull:
		return 0
	case KindMulti:
		return len(v.list)
	}
	return 1
}

// Bool returns the Boolean and true when v is a Boolean, or a string that is
// "True" or "False" in any case.
func (v Value) asBool() (b, ok bool) {
	switch v.kind {
	case KindBool:
		return v.n != 0, true
	case KindString:
		if strings.EqualFold(v.s, "true") {
			return true, true
		}
		if strings.EqualFold(v.s, "false") {
			return false, true
		}
	}
	return false, false
}

// Int returns the integer and true when v is an integer or a string holding
// a decimal (or &H hexadecimal) integer.
func (v Value) asInt() (int64, bool) {
	switch v.kind {
	case KindInteger:
		return v.n, true
	case KindString:
		return parseIntText(v.s)
	}
	return 0, false
}

// Time returns the instant (in UTC) and true when v is a DateTime.
func (v Value) asTime() (time.Time, bool) {
	if v.kind != KindDateTime {
		return time.Time{}, false
	}
	return ticksToTime(v.n), true
}

// LogString returns [RedactedText] when v is redacted, otherwise
// [Value.String]. Reports and logs use it.
func (v Value) logString() string {
	if v.redacted {
		return RedactedText
	}
	if v.kind == KindMulti {
		return "[" + strings.Join(v.list, ", ") + "]"
	}
	return v.String()
}

// Format implements fmt.Formatter so that every fmt verb prints
// [Value.LogValue]: a redacted value never reaches a log through fmt.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", v.logString())
		return
	}
	_, _ = f.Write([]byte(v.logString()))
}

// MarshalJSON encodes v for reports: null for NULL, "[Redact]" when
// redacted, a JSON Boolean or number for Booleans and integers, an array
// for a multi-valued result, the rendered text otherwise.
func (v Value) MarshalJSON() ([]byte, error) {
	switch {
	case v.kind == KindNull:
		return []byte("null"), nil
	case v.redacted:
		return json.Marshal(RedactedText)
	case v.kind == KindBool:
		return json.Marshal(v.n != 0)
	case v.kind == KindInteger:
		return json.Marshal(v.n)
	case v.kind == KindMulti:
		return json.Marshal(v.list)
	}
	return json.Marshal(v.String())
}

// LogValue implements slog.LogValuer: redacted values log as [RedactedText].
func (v Value) LogValue() slog.Value { return slog.StringValue(v.logString()) }

// Equal reports whether v and w hold the same kind and the same value
// (redaction is ignored).
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind || v.s != w.s || v.n != w.n || len(v.list) != len(w.list) {
		return false
	}
	for i := range v.list {
		if v.list[i] != w.list[i] {
			return false
		}
	}
	return true
}

// isEmpty reports whether v is NULL or the empty string.
func (v Value) isEmpty() bool {
	return v.kind == KindNull || (v.kind == KindString && v.s == "")
}

// truthy is the condition rule of IIF and CBool: a Boolean, "True"/"False"
// text, a non-zero number. NULL and anything else is false.
func (v Value) truthy() bool {
	if b, ok := v.asBool(); ok {
		return b
	}
	if i, ok := v.asInt(); ok {
		return i != 0
	}
	if v.kind == KindString {
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64); err == nil {
			return f != 0
		}
	}
	return false
}

// parseIntText parses a decimal integer, or &H hexadecimal, with optional
// surrounding spaces.
func parseIntText(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[0] == '&') && (s[1] == 'H' || s[1] == 'h') {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return int64(u), true
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return i, true
}

// valueOf converts one source attribute value into a Value. It does not
// allocate for strings, Booleans, integers, times and []string.
func valueOf(x any) (Value, error) {
	switch t := x.(type) {
	case nil:
		return Value{}, nil
	case string:
		return Value{kind: KindString, s: t}, nil
	case bool:
		return boolValue(t), nil
	case int:
		return intValue(int64(t)), nil
	case int8:
		return intValue(int64(t)), nil
	case int16:
		return intValue(int64(t)), nil
	case int32:
		return intValue(int64(t)), nil
	case int64:
		return intValue(t), nil
	case uint:
		if uint64(t) > math.MaxInt64 {
			return Value{}, fmt.Errorf("integer %d is out of range", t)
		}
		return intValue(int64(t)), nil
	case uint8:
		return intValue(int64(t)), nil
	case uint16:
		return intValue(int64(t)), nil
	case uint32:
		return intValue(int64(t)), nil
	case uint64:
		if t > math.MaxInt64 {
			return Value{}, fmt.Errorf("integer %d is out of range", t)
		}
		return intValue(int64(t)), nil
	case float32:
		return floatValue(float64(t)), nil
	case float64:
		return floatValue(t), nil
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return intValue(i), nil
		}
		if f, err := t.Float64(); err == nil {
			return floatValue(f), nil
		}
		return Value{kind: KindString, s: string(t)}, nil
	case time.Time:
		return timeValue(t), nil
	case *time.Time:
		if t == nil {
			return Value{}, nil
		}
		return timeValue(*t), nil
	case []string:
		return multiValue(t), nil
	case []any:
		if len(t) == 0 {
			return Value{}, nil
		}
		out := make([]string, 0, len(t))
		for _, e := range t {
			ev, err := valueOf(e)
			if err != nil {
				return Value{}, err
			}
			if ev.kind == KindMulti {
				out = append(out, ev.list...)
			} else if ev.kind != KindNull {
				out = append(out, ev.String())
			}
		}
		return multiValue(out), nil
	case Value:
		return t, nil
	case fmt.Stringer:
		return Value{kind: KindString, s: t.String()}, nil
	}
	return Value{}, fmt.Errorf("unsupported type %T", x)
}

// floatValue keeps integral floats (as JSON decoding produces) as integers
// and renders others as .NET would (shortest round-trip decimal).
func floatValue(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{kind: KindString, s: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return intValue(int64(f))
	}
	return Value{kind: KindString, s: strconv.FormatFloat(f, 'f', -1, 64)}
}

// jsonValue converts v into its SCIM JSON form for a target: bool for a
// Boolean target, []any for multi-valued, string otherwise.
func (v Value) jsonValue(boolTarget bool) any {
	switch v.kind {
	case KindNull:
		return nil
	case KindMulti:
		out := make([]any, len(v.list))
		for i, s := range v.list {
			out[i] = s
		}
		return out
	}
	if boolTarget {
		if b, ok := v.asBool(); ok {
			return b
		}
	}
	return v.String()
}

// .NET ticks: 100 ns units since 0001-01-01T00:00:00Z.
const (
	ticksPerSecond   = 10_000_000
	unixEpochSeconds = 62135596800 // seconds from 0001-01-01 to 1970-01-01
	fileTimeEpoch    = 504911232000000000
	maxTicks         = 3155378975999999999 // 9999-12-31T23:59:59.9999999
)

func timeToTicks(t time.Time) int64 {
	sec := t.Unix() + unixEpochSeconds
	if sec < 0 {
		return 0
	}
	if sec > maxTicks/ticksPerSecond {
		return maxTicks
	}
	return sec*ticksPerSecond + int64(t.Nanosecond())/100
}

func ticksToTime(ticks int64) time.Time {
	sec := ticks/ticksPerSecond - unixEpochSeconds
	nsec := (ticks % ticksPerSecond) * 100
	return time.Unix(sec, nsec).UTC()
}

// entraLayout is .NET's invariant "M/d/yyyy h:mm:ss tt".
const entraLayout = "1/2/2006 3:04:05 PM"

func formatEntraTime(t time.Time) string {
	return t.UTC().Format(entraLayout)
}
