package scim

import "strings"

// CanonicalPath returns the spelling under which two attribute paths that
// name the same attribute compare equal: the canonical form of the parsed
// path ([Path.String]: "name.givenName", extension URNs joined with ":",
// filters re-rendered) in lower case, as SCIM attribute names are
// case-insensitive (RFC 7643 §2.1). Text that is not a valid path is only
// lower-cased.
func CanonicalPath(path string) string {
	if p, err := ParsePath(path); err == nil {
		path = p.String()
	}
	return strings.ToLower(path)
}
