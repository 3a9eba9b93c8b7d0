// Command custommapping shows a mapping set of your own: Druva userNames
// built from the mail nickname and a fixed domain, display names normalised,
// a constant attribute for Druva's own SCIM mappings to filter on, and a
// scoping filter that only provisions one department.
package main
