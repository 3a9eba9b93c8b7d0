package scim

import (
	"errors"
	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// maxPathLen bounds the length of an attribute path; longer input is refused
// before any parsing work is done.
const maxPathLen = 4096

// Path is a parsed SCIM attribute path (RFC 7644 §3.10 "attrPath" and the
// PATCH "path" of §3.5.2): an optional schema URN, an attribute name, an
// optional value filter and an optional sub-attribute.
//
//	userName
//	name.givenName
//	emails[type eq "work"].value
//	members[value eq "2819c223"]
//	urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
//	urn:ietf:params:scim:schemas:extension:enterprise:2.0:User  (the whole extension)
//
// The zero Path is invalid. A Path is immutable and safe for concurrent use;
// parse it once with [ParsePath] and reuse it with [Resource.GetPath] and
// [Resource.SetPath] in hot loops.
type Path struct {
	urn    string  // extension schema URN, "" for core attributes
	attr   string  // attribute name, "" when the path is the whole extension
	sub    string  // sub-attribute name, "" when none
	filter *Filter // value filter, nil when none
}

// URN returns the schema URN of an extension attribute path, or "" for an
// attribute of the core schema (a core schema prefix such as
// [UserSchema] is dropped while parsing).
func (p Path) URN() string { return p.urn }

// Attribute returns the attribute name, or "" when the path names a whole
// schema extension.
func (p Path) Attribute() string { return p.attr }

// SubAttribute returns the sub-attribute name, or "" when there is none.
func (p Path) SubAttribute() string { return p.sub }

// Filter returns the value filter of the path (the part in brackets), or nil.
func (p Path) Filter() *Filter { return p.filter }

// IsZero reports whether p is the zero (invalid) Path.
func (p Path) IsZero() bool { return p.urn == "" && p.attr == "" }

// String returns the path in canonical SCIM syntax; it parses back to an
// equivalent Path.
func (p Path) String() string {
	var b strings.Builder
	if p.urn != "" {
		b.WriteString(p.urn)
		if p.attr != "" {
			b.WriteByte(':')
		}
	}
	b.WriteString(p.attr)
	if p.filter != nil {
		b.WriteByte('[')
		p.filter.root.render(&b, true)
		b.WriteByte(']')
	}
	if p.sub != "" {
		b.WriteByte('.')
		b.WriteString(p.sub)
	}
	return b.String()
}

// ParsePath parses a SCIM attribute path. Attribute names are checked
// against the RFC 7643 grammar, value filters are parsed with
// github.com/scim2/filter-parser/v2, and a schema URN prefix is split off
// first: a path whose last URN segment follows a version segment
// ("…:2.0:User") names the whole extension. A prefix naming the core User or
// Group schema is dropped. Errors are a [*SyntaxError] saying what is wrong
// and at which byte offset; errors.As also finds a [*Error] with status 400
// and scimType "invalidPath" in them.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, pathError(s, 0, "empty path", nil)
	}
	if len(s) > maxPathLen {
		return Path{}, pathError(s, maxPathLen, fmt.Sprintf("path longer than %d bytes", maxPathLen), nil)
	}
	if !strings.ContainsRune(s, '[') {
		if p, off, msg := parseSimplePath(s); msg != "" {
			return Path{}, pathError(s, off, msg, nil)
		} else {
			return p, nil
		}
	}
	return parseFilteredPath(s)
}

// parseFilteredPath parses a path holding a value filter:
// [urn:]attr[filter][.sub].
func parseFilteredPath(s string) (Path, error) {
	open := strings.IndexByte(s, '[')
	head := strings.TrimRight(s[:open], " ")
	var p Path
	base := 0
	if hasURNPrefix(head) {
		colon := strings.LastIndexByte(head, ':')
		if off, msg := checkURN(head[:colon]); msg != "" {
			return Path{}, pathError(s, off, msg, nil)
		}
		p.urn = head[:colon]
		head = head[colon+1:]
		base = colon + 1
		if isCoreURN(p.urn) {
			p.urn = ""
		}
	}
	if head == "" {
		return Path{}, pathError(s, base, "missing attribute name before \"[\"", nil)
	}
	if i := strings.IndexByte(head, '.'); i >= 0 {
		return Path{}, pathError(s, base+i, "a value filter must follow an attribute name, not a sub-attribute", nil)
	}
	if off := checkName(head); off >= 0 {
		return Path{}, pathError(s, base+off, fmt.Sprintf("invalid attribute name %q", head), nil)
	}
	p.attr = head
	closing, bad, msg := matchBracket(s, open)
	if msg != "" {
		return Path{}, pathError(s, bad, msg, nil)
	}
	text := s[open+1 : closing]
	if strings.TrimSpace(text) == "" {
		return Path{}, pathError(s, open, "empty value filter", nil)
	}
	f := quickFilter(text)
	var err error
	if f == nil {
		f, err = parseFilter(text)
	}
	if err != nil {
		off := open + 1
		var se *SyntaxError
		if errors.As(err, &se) {
			off += se.Offset
			return Path{}, pathError(s, off, "value filter: "+se.Msg, se.Err)
		}
		return Path{}, pathError(s, off, "value filter: "+err.Error(), err)
	}
	markCaseExact(f.root, p.attr)
	p.filter = f
	rest := s[closing+1:]
	if rest != "" {
		if rest[0] != '.' {
			return Path{}, pathError(s, closing+1, fmt.Sprintf("unexpected %q after value filter", rest), nil)
		}
		sub := rest[1:]
		if off := checkName(sub); off >= 0 {
			return Path{}, pathError(s, closing+2+off, fmt.Sprintf("invalid sub-attribute name %q", sub), nil)
		}
		p.sub = sub
	}
	return p, nil
}

// matchBracket finds the "]" closing the "[" at open, skipping quoted
// strings. When there is none it returns the offset of the fault and a
// message.
func matchBracket(s string, open int) (int, int, string) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '"':
			end := skipString(s, i)
			if end < 0 {
				return 0, i, "unterminated string"
			}
			i = end
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return i, 0, ""
			}
		}
	}
	return 0, open, "\"[\" has no matching \"]\""
}

// skipString returns the index of the quote closing the string that starts
// at s[start], or -1.
func skipString(s string, start int) int {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// parseSimplePath parses a path without a value filter without calling the
// filter parser: [urn:]attr[.sub] or a whole extension URN. It returns a
// message and offset when the path is invalid. It does not allocate.
func parseSimplePath(s string) (Path, int, string) {
	var p Path
	base := 0
	if hasURNPrefix(s) {
		colon := strings.LastIndexByte(s, ':')
		urn, rest := s[:colon], s[colon+1:]
		if _, bad := checkURN(s); bad == "" && isVersion(lastSegment(urn)) && checkName(rest) < 0 {
			// "urn:…:2.0:User": the whole schema extension.
			if isCoreURN(s) {
				return Path{}, 0, "the core schema URN is not an attribute path"
			}
			p.urn = s
			return p, 0, ""
		}
		if off, msg := checkURN(urn); msg != "" {
			return Path{}, off, msg
		}
		if !isCoreURN(urn) {
			p.urn = urn
		}
		s = rest
		base = colon + 1
	}
	name, sub, hasSub := strings.Cut(s, ".")
	if name == "" {
		return Path{}, base, "missing attribute name"
	}
	if off := checkName(name); off >= 0 {
		return Path{}, base + off, "invalid attribute name"
	}
	p.attr = name
	if hasSub {
		if off := checkName(sub); off >= 0 {
			if strings.IndexByte(sub, '.') >= 0 {
				return Path{}, base + len(name) + 1 + strings.IndexByte(sub, '.'), "more than one sub-attribute level"
			}
			return Path{}, base + len(name) + 1 + off, "invalid sub-attribute name"
		}
		p.sub = sub
	}
	return p, 0, ""
}

// checkName validates an attribute name per RFC 7643 §2.1 as the filter
// grammar does: an optional "$", a letter, then letters, digits, "-" or "_".
// It returns the offset of the first bad byte, or -1 when the name is valid.
func checkName(s string) int {
	i := 0
	if i < len(s) && s[i] == '$' {
		i++
	}
	if i >= len(s) {
		return i
	}
	if !isAlpha(s[i]) {
		return i
	}
	for i++; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return i
		}
	}
	return -1
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hasURNPrefix reports whether s starts with a schema URI ("urn:…:"). Like
// the filter grammar, any colon-separated prefix counts, not only "urn:".
func hasURNPrefix(s string) bool {
	return strings.IndexByte(s, ':') >= 0
}

// checkURN validates a schema URN as the filter grammar's URI rule does:
// colon-separated, non-empty segments of letters, digits, "-" and ".".
func checkURN(s string) (int, string) {
	seg := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			if seg == 0 {
				return i, "empty segment in schema URN"
			}
			seg = 0
		case isAlpha(c) || isDigit(c) || c == '-' || c == '.':
			seg++
		default:
			return i, fmt.Sprintf("invalid character %q in schema URN", rune(c))
		}
	}
	if seg == 0 {
		return len(s), "empty segment in schema URN"
	}
	return 0, ""
}

func lastSegment(urn string) string {
	return urn[strings.LastIndexByte(urn, ':')+1:]
}

// isVersion reports whether seg looks like a schema version such as "2.0".
func isVersion(seg string) bool {
	if seg == "" || !isDigit(seg[0]) {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if !isDigit(seg[i]) && seg[i] != '.' {
			return false
		}
	}
	return true
}

// isCoreURN reports whether urn names a core resource schema, whose
// attributes live at the top level of a resource.
func isCoreURN(urn string) bool {
	return strings.EqualFold(urn, UserSchema) || strings.EqualFold(urn, GroupSchema)
}

// attrRef is an attribute reference inside a filter: [urn:]attr[.sub].
type attrRef struct {
	urn, attr, sub string
}

func (a attrRef) render(b *strings.Builder) {
	if a.urn != "" {
		b.WriteString(a.urn)
		b.WriteByte(':')
	}
	b.WriteString(a.attr)
	if a.sub != "" {
		b.WriteByte('.')
		b.WriteString(a.sub)
	}
}

// refFromParser converts an attribute path of the filter parser.
func refFromParser(p filter.AttributePath) attrRef {
	r := attrRef{attr: p.AttributeName, sub: p.SubAttributeName()}
	if u := p.URI(); u != "" && !isCoreURN(u) {
		r.urn = u
	}
	return r
}

// MarshalText encodes the path in canonical form, so a Path can sit in
// JSON or YAML configuration. The zero Path is an error.
func (p Path) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("scim: cannot encode the zero Path")
	}
	return []byte(p.String()), nil
}

// UnmarshalText parses a path with [ParsePath].
func (p *Path) UnmarshalText(text []byte) error {
	q, err := ParsePath(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
