// Package scim holds the SCIM 2.0 protocol (RFC 7643, RFC 7644) without an
// HTTP client: resources, attribute paths, filters, PATCH operations (with
// the dialect Microsoft Entra speaks), list responses and errors. It imports
// nothing else of this module; the Druva client, the fake Druva service,
// the mapping engine and the planner all build on it.
//
// # Resources and attribute paths
//
// A [Resource] is the JSON form of one SCIM resource, as encoding/json
// decodes it. [Resource.Get], [Resource.Set] and [Resource.Remove] take an
// attribute path; attribute names match ignoring case (RFC 7643 §2.1):
//
//	r := scim.Resource{}
//	_ = r.Set("userName", "bjensen@example.com")
//	_ = r.Set("name.givenName", "Barbara")
//	_ = r.Set(`emails[type eq "work"].value`, "bjensen@example.com") // creates {"type":"work",…}
//	_ = r.Set("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Finance")
//	v, ok := r.Get("NAME.GIVENNAME") // "Barbara", true
//
// Paths are parsed by [ParsePath]; a parsed [Path] is immutable and can be
// reused with [Resource.GetPath] and [Resource.SetPath]. Paths without a
// value filter are read without any parser and without allocating; value
// filters made of one comparison such as `type eq "work"` skip the general
// filter parser; other value filters go through
// github.com/scim2/filter-parser/v2, whose value-path rule this package
// widens (any filter inside brackets). For hot loops over many resources,
// parse once and use the Path methods.
//
// Accessors cover what every caller needs: [Resource.ID],
// [Resource.UserName], [Resource.DisplayName], [Resource.ExternalID],
// [Resource.Active] (which understands Entra's "True"/"False" strings),
// [Resource.Email] (primary, else work, else first), [Resource.Meta] and
// [Resource.Schemas]. [Resource.Clone] makes a deep copy.
//
// # Filters
//
// [Quote] turns any string into a SCIM string literal that parses back to
// exactly that string, so a value holding '"' or '\' can never widen a
// query; [EqualityFilter] builds `attribute eq "value"` from it. [ParseFilter]
// parses a filter with github.com/scim2/filter-parser/v2 and
// [Filter.Matches] evaluates it against a resource with the RFC's default
// of case-insensitive string comparison.
//
// # PATCH
//
// [ApplyPatch] applies [PatchOperation] values (RFC 7644 §3.5.2: add,
// replace, remove; with and without path; value filters; sub-attributes)
// to a copy of a resource. It accepts the dialect Entra sends: capitalised
// op names, "True"/"False" strings for booleans, path-less replace whose
// value object has dotted keys ("name.givenName") and extension URNs,
// members[value eq "…"] removal and removal by path "members" with a value
// list. [ParsePatchRequest] decodes and validates a [PatchRequest] body;
// [NewPatchRequest] builds one. [Equal] compares two attribute values as
// SCIM does (booleans against "True"/"False", numbers numerically,
// multi-valued attributes as sets); [CanonicalPath] gives the one spelling
// of an attribute path for comparing paths.
//
// # Errors
//
// A SCIM error response is an [*Error] ([NewError]); it marshals with the
// [ErrorSchema] URN and the status as a string, and unmarshals a status sent
// as a string or a number. Malformed paths, filters and PATCH bodies give a
// [*SyntaxError] that names the input, the byte offset and what is wrong;
// errors.As finds an [*Error] with status 400 and the matching scimType
// (invalidPath, invalidFilter, invalidSyntax) inside it, ready for a server
// to send back. [ApplyPatch] returns an [*Error] naming the failing
// operation by index. Nothing in this package panics on bad input.
//
// # Pagination
//
// A [ListResponse] is one page of a query (RFC 7644 §3.4.2); it encodes
// "Resources" as the RFC spells it, never null, and decodes counts sent as
// numbers or numeric strings. Walking the pages is the client's job (see
// package druva).
//
// # Rate limits and retries
//
// This package does no I/O, so it neither limits nor retries; the HTTP
// clients of this module do.
package scim
