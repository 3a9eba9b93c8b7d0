// Package jsonobj decodes the JSON objects the Druva client and the Graph
// reader receive, with encoding/json's results, under the rules both
// share:
//
//   - a body holds exactly one JSON object: anything after it is refused;
//   - numbers stay exact ([encoding/json.Number]);
//   - member names are looked up the way encoding/json matches struct
//     fields, without regard to case, and an object that spells one name
//     two ways ("Resources" and "resources") is refused, since nothing says
//     which one to believe.
//
// It also encodes the objects the Druva client sends ([Encoder]), byte for
// byte as encoding/json.Marshal does.
//
// The package holds no mutable state: its functions are safe for
// concurrent use, and an Encoder serves one goroutine at a time. It is
// internal: its API may change with the packages that use it.
package jsonobj
