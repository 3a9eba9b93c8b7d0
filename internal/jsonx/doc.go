// Package jsonx is a small, reflection-free JSON codec for exactly one job:
// the generic map form of JSON that the Druva SCIM client reads and writes
// (map[string]any holding string, bool, nil, numbers, []any and nested
// map[string]any).
//
// Its results are identical to encoding/json's, and the tests prove it with
// table tests and differential fuzzing against encoding/json:
//
//   - [DecodeObject] accepts exactly the inputs that encoding/json accepts
//     as a single JSON object (json.Valid, and the value is an object) and
//     returns the value a json.Decoder with UseNumber returns for them:
//     numbers are json.Number holding the literal text, strings are
//     unescaped with the same replacement of invalid UTF-8 and lone
//     surrogates by U+FFFD, duplicate keys keep the last value, and nesting
//     deeper than 10000 is refused.
//   - [AppendMarshal] and [Marshal] produce the same bytes (or the same
//     error) as json.Marshal: keys sorted byte-wise, HTML-safe string
//     escaping, U+2028 and U+2029 escaped, invalid UTF-8 replaced by
//     \ufffd, floats formatted like encoding/json. Values of other types
//     (structs, types with MarshalJSON, named map types, ...) are handed to
//     json.Marshal, so they stay correct, only slower.
//   - [Fields] finds the members a struct would receive from encoding/json
//     (names matched without regard to case) in a decoded object, and
//     refuses an object that spells one name two ways.
//
// A minimal round trip:
//
//	m, err := jsonx.DecodeObject(body) // body: []byte holding one JSON object
//	if err != nil { ... }              // a *SyntaxError with the byte offset
//	m["active"] = false
//	out, err := jsonx.Marshal(m)       // same bytes as json.Marshal(m)
//
// Input that DecodeObject refuses yields a [*SyntaxError] saying what was
// wrong and at which byte offset.
//
// The package has no package-level state and is safe for concurrent use.
// The equivalence is with the default encoding/json of the Go release the
// module is built with (not with GOEXPERIMENT=jsonv2 builds).
//
// It is internal: its API may change with the packages that use it.
package jsonx
