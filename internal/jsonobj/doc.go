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
// The package has no state and is safe for concurrent use. It is internal:
// its API may change with the packages that use it.
package jsonobj
