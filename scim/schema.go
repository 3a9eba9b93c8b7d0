package scim

import "strings"

// The few schema facts a schema-less resource still needs, from the core
// and enterprise schemas of RFC 7643 (sections 4.1, 4.2, 4.3 and 8.7).
// Attributes of other extensions are judged by the value they hold.

// coreMultiValued reports whether the attribute named attr (of the core
// schemas when urn is empty) is multi-valued (RFC 7643 sections 4.1.2,
// 4.2 and 3 for "schemas").
func coreMultiValued(urn, attr string) bool {
	if urn != "" {
		return false
	}
	switch strings.ToLower(attr) {
	case "schemas", "emails", "phonenumbers", "ims", "photos", "addresses",
		"groups", "entitlements", "roles", "x509certificates", "members":
		return true
	}
	return false
}

// coreComplex reports whether the attribute named attr is a single-valued
// complex attribute of the core or enterprise schema: the User's "name"
// (RFC 7643 section 4.1.1), "meta" (section 3.1) and the enterprise
// "manager" (section 4.3).
func coreComplex(urn, attr string) bool {
	a := strings.ToLower(attr)
	if urn == "" {
		return a == "name" || a == "meta"
	}
	return strings.EqualFold(urn, EnterpriseUserSchema) && a == "manager"
}

// caseExact reports whether the string attribute a filter comparison names
// is case-exact, so that comparisons on it respect case (RFC 7643 section
// 7; RFC 7644 section 3.4.2.2). parent is the multi-valued attribute whose
// value filter holds the comparison ("" at the top level), ref the
// attribute compared. Case-exact are: "id" and "externalId" (RFC 7643
// section 3.1), "meta.version" and "meta.location" (section 8.7.1),
// references (section 2.3.7: "$ref", "profileUrl", "photos.value") and
// binary values ("x509Certificates.value", section 2.3.6).
func caseExact(parent string, ref attrRef) bool {
	attr, sub := ref.attr, ref.sub
	if parent != "" {
		attr, sub = parent, ref.attr
	}
	if strings.EqualFold(sub, "$ref") || (sub == "" && strings.EqualFold(attr, "$ref")) {
		return true
	}
	if ref.urn != "" && !isCoreURN(ref.urn) {
		return false
	}
	switch strings.ToLower(attr) {
	case "id", "externalid", "profileurl":
		return sub == ""
	case "meta":
		return strings.EqualFold(sub, "version") || strings.EqualFold(sub, "location")
	case "photos", "x509certificates":
		return strings.EqualFold(sub, "value")
	}
	return false
}

// markCaseExact records, in every comparison of the filter tree n, whether
// its attribute is case-exact; parent is as for [caseExact].
func markCaseExact(n node, parent string) {
	switch n := n.(type) {
	case *cmpNode:
		n.exact = caseExact(parent, n.ref)
	case *logicNode:
		markCaseExact(n.left, parent)
		markCaseExact(n.right, parent)
	case *notNode:
		markCaseExact(n.x, parent)
	case *valuePathNode:
		markCaseExact(n.filter, n.ref.attr)
	}
}
