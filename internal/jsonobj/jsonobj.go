package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Decode decodes b, which must hold exactly one JSON object (whitespace
// around it allowed), into a map: strings, booleans, null, arrays and
// objects become string, bool, nil, []any and map[string]any, numbers
// [json.Number]. The result, and whether b is accepted, are those of an
// encoding/json Decoder with UseNumber; a member that occurs twice with
// the same spelling keeps its last value.
//
// The map is built straight from the tokens of
// github.com/go-json-experiment/json/jsontext, without reflection, which
// is several times faster than encoding/json; numbers keep their literal
// text. A body jsontext refuses (invalid JSON, invalid UTF-8, too deep)
// is decoded again by encoding/json, whose answer counts, so that errors
// and the handling of such bodies stay those of encoding/json.
// BENCHMARKS.md has the figures.
//
// The error says what was wrong and, for invalid JSON, at which byte.
func Decode(b []byte) (map[string]any, error) {
	t := TrimSpace(b)
	if len(t) == 0 {
		return nil, errors.New("empty body where a JSON object was expected")
	}
	if t[0] != '{' {
		return nil, fmt.Errorf("not a JSON object: it starts with %q", t[0])
	}
	if m, err := decodeTokens(t); err == nil {
		return m, nil
	}
	return decodeExact(t)
}

// TrimSpace returns b without the JSON whitespace (space, tab, line feed,
// carriage return: RFC 8259, section 2) at either end. Other Unicode
// spaces, such as U+00A0, are not whitespace in JSON and stay, so that a
// body ending in one is refused as encoding/json refuses it.
func TrimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// decodeTokens decodes the object t from jsontext tokens. Duplicate names
// are allowed, the last value winning, as with encoding/json. Any error
// only means that encoding/json must decide.
func decodeTokens(t []byte) (map[string]any, error) {
	// A bytes.Buffer lets the decoder parse t in place, without copying;
	// t itself is never written to.
	dec := jsontext.NewDecoder(bytes.NewBuffer(t), jsontext.AllowDuplicateNames(true))
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

// readValue reads the next value of dec.
func readValue(dec *jsontext.Decoder) (any, error) {
	if dec.PeekKind() == '"' {
		return readString(dec)
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		return readObject(dec)
	case '[':
		return readArray(dec)
	case '0':
		return json.Number(tok.String()), nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok.Kind())
}

// readObject reads the members of an object whose '{' dec has read.
func readObject(dec *jsontext.Decoder) (map[string]any, error) {
	m := make(map[string]any)
	for dec.PeekKind() != '}' {
		name, err := readString(dec)
		if err != nil {
			return nil, err
		}
		v, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		m[name] = v
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	return m, nil
}

// readString reads a string (a member name or a value). A string of the
// common set, as most member names are, is returned shared rather than
// copied; the others are unquoted into a string of their own.
func readString(dec *jsontext.Decoder) (string, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("unexpected value %.20q where a string was expected", raw)
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		if s, ok := common[string(body)]; ok {
			return s, nil
		}
		return string(body), nil
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// readArray reads the elements of an array whose '[' dec has read.
func readArray(dec *jsontext.Decoder) ([]any, error) {
	a := []any{}
	for dec.PeekKind() != ']' {
		v, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	return a, nil
}

// decodeExact is Decode with encoding/json alone.
func decodeExact(t []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, describe(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON object, which ends at byte %d", end)
	}
	return m, nil
}

// describe turns encoding/json's errors into text that says where the
// problem is.
func describe(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the body ends inside the object")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// Members returns the values of the members of m named names, matched
// without regard to case: vals[i] is the value of names[i], nil when the
// member is absent or null. An object that spells one name two ways is
// refused with an error naming both spellings.
func Members(m map[string]any, names ...string) (vals []any, err error) {
	vals = make([]any, len(names))
	keys := make([]string, len(names))
	for k, v := range m {
		for i, name := range names {
			if !strings.EqualFold(k, name) {
				continue
			}
			if keys[i] != "" {
				return nil, fmt.Errorf("both %q and %q", min(keys[i], k), max(keys[i], k))
			}
			keys[i], vals[i] = k, v
			break
		}
	}
	return vals, nil
}

// common holds the member names and values most SCIM users, list pages and
// Graph pages repeat, so that decoding them shares one string instead of
// allocating one per occurrence. It is read-only.
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		// SCIM core and enterprise User, list responses, errors.
		"schemas", "id", "externalId", "userName", "displayName", "nickName", "name", "formatted",
		"givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix", "title",
		"userType", "preferredLanguage", "locale", "timezone", "active", "emails", "phoneNumbers",
		"addresses", "value", "type", "primary", "display", "$ref", "meta", "resourceType", "created",
		"lastModified", "location", "version", "work", "home", "mobile", "other", "User",
		"urn:ietf:params:scim:schemas:core:2.0:User",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
		"urn:ietf:params:scim:api:messages:2.0:ListResponse",
		"urn:ietf:params:scim:api:messages:2.0:Error",
		"department", "employeeNumber", "manager", "organization", "division", "costCenter",
		"Resources", "totalResults", "startIndex", "itemsPerPage", "detail", "status", "scimType",
		// Graph users, groups, members, pages and $batch answers.
		"userPrincipalName", "mail", "mailNickname", "surname", "jobTitle", "accountEnabled",
		"businessPhones", "mobilePhone", "officeLocation", "companyName", "employeeId", "employeeType",
		"usageLocation", "city", "country", "state", "streetAddress", "postalCode", "onPremisesImmutableId",
		"onPremisesSamAccountName", "onPremisesSyncEnabled", "proxyAddresses", "otherMails",
		"appRoleId", "principalId", "principalType", "resourceId", "Group",
		"@odata.type", "@odata.context", "@odata.nextLink", "@odata.deltaLink", "@removed", "reason",
		"changed", "deleted", "members@delta", "#microsoft.graph.user", "#microsoft.graph.group",
		"responses", "headers", "body", "Retry-After",
	} {
		m[s] = s
	}
	return m
}()

// MemberString returns the string value of the first top-level member of
// the JSON object b whose name matches name without regard to case. The
// other members' values are skipped without being decoded, and the scan
// stops at the match, so that a link can be read from a large page long
// before the page is decoded. ok is false when no such member precedes
// the first syntax error or the end of the object, or when its value is
// not a string.
//
// It is a hint, not a decoder: an object may spell the name twice, or be
// invalid after the member, and only [Decode] says which value counts. A
// caller acts on the hint only where acting early can be undone.
func MemberString(b []byte, name string) (s string, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(TrimSpace(b)), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return "", false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return "", false
		}
		if !strings.EqualFold(tok.String(), name) {
			if dec.SkipValue() != nil {
				return "", false
			}
			continue
		}
		if dec.PeekKind() != '"' {
			return "", false
		}
		v, err := dec.ReadToken()
		if err != nil {
			return "", false
		}
		return v.String(), true
	}
	return "", false
}
