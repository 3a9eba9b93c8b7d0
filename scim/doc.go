// Package scim holds the SCIM 2.0 protocol (RFC 7643, RFC 7644) without an
// HTTP client: resources, attribute paths, filters, PATCH operations (with
// the dialect Microsoft Entra speaks), list responses and errors.
package scim
