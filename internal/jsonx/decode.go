package jsonx

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxNestingDepth is encoding/json's limit on nested objects and arrays:
// its scanner refuses a value nested deeper than this, counting the
// top-level object as depth 1.
const maxNestingDepth = 10000

// SyntaxError is the error [DecodeObject] returns for input it refuses:
// input that is not valid JSON, trailing data after the object, or a
// valid top-level value that is not an object.
type SyntaxError struct {
	// Msg says what was wrong, e.g. "invalid character 'x' after object
	// key".
	Msg string
	// Offset is the byte offset in the input at which the problem was
	// found: the offending byte, or len(input) when the input ended too
	// early.
	Offset int64
}

// Error returns "jsonx: <Msg> at offset <Offset>".
func (e *SyntaxError) Error() string {
	return "jsonx: " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// DecodeObject decodes b, which must hold exactly one JSON object
// (leading/trailing whitespace allowed, nothing else after it), into a map.
// Numbers become json.Number (as a json.Decoder with UseNumber gives),
// strings/bools/null/arrays/objects become string/bool/nil/[]any/map[string]any.
// Duplicate keys: the last wins (as encoding/json).
//
// DecodeObject accepts exactly the inputs for which json.Valid reports true
// and whose value is an object; for those it returns what a json.Decoder
// with UseNumber decodes into an any. Empty objects and arrays decode to
// empty, non-nil maps and slices. Strings are unescaped as encoding/json
// does: invalid UTF-8 bytes and unpaired surrogate escapes become U+FFFD.
// Nesting deeper than 10000 objects and arrays is refused.
//
// Every error is a [*SyntaxError] holding the byte offset of the problem;
// the top-level value null is refused like any value that is not an object
// (json.Unmarshal into a map would leave the map nil without an error).
// DecodeObject does not retain b.
func DecodeObject(b []byte) (map[string]any, error) {
	d := decoder{data: b}
	d.skipSpace()
	if d.i >= len(b) {
		return nil, d.errUnexpected(d.i, "looking for beginning of object")
	}
	if c := b[d.i]; c != '{' {
		return nil, d.errAt(d.i, "top-level value is not an object: found "+quoteChar(c))
	}
	var stack [32]keyValue
	v, _, err := d.value(stack[:0])
	if err != nil {
		return nil, err
	}
	m := v.(map[string]any)
	d.skipSpace()
	if d.i < len(b) {
		return nil, d.errAt(d.i, "trailing data: invalid character "+quoteChar(b[d.i])+" after top-level object")
	}
	return m, nil
}

// keyValue is one member of an object: while the decoder parses the
// object (with an empty key, one element of an array being parsed), and
// while the encoder sorts a map's members by key.
type keyValue struct {
	key string
	val any
}

// decoder is the state of one DecodeObject call.
//
// The members of the objects and the elements of the arrays being parsed
// are collected on a stack, so that every map and slice is allocated once,
// at its final size, when its closing bracket is read. The stack is passed
// down and handed back rather than kept in the decoder, so that its first
// 32 entries can live on DecodeObject's goroutine stack.
type decoder struct {
	data  []byte
	i     int // offset of the next byte to read
	depth int // objects and arrays open at i
}

func (d *decoder) errAt(off int, msg string) error {
	return &SyntaxError{Msg: msg, Offset: int64(off)}
}

// errUnexpected reports the byte at d.i (or the end of the input) as
// unexpected; context says what the decoder was doing, e.g. "after object
// key".
func (d *decoder) errUnexpected(i int, context string) error {
	if i >= len(d.data) {
		return d.errAt(len(d.data), "unexpected end of JSON input "+context)
	}
	return d.errAt(i, "invalid character "+quoteChar(d.data[i])+" "+context)
}

// quoteChar formats c for an error message.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value parses the value starting at d.i, which must not be whitespace.
// Objects and arrays collect their members on stack, above its length,
// and hand it back at the length it came with. (value is the only
// recursive method: the Go compiler keeps DecodeObject's stack array on
// the goroutine stack through direct recursion, not through mutual
// recursion.)
func (d *decoder) value(stack []keyValue) (any, []keyValue, error) {
	if d.i >= len(d.data) {
		return nil, stack, d.errUnexpected(d.i, "looking for beginning of value")
	}
	switch c := d.data[d.i]; c {
	case '"':
		s, err := d.str(false)
		if err != nil {
			return nil, stack, err
		}
		return s, stack, nil
	case '{':
		empty, err := d.open('}')
		if err != nil {
			return nil, stack, err
		}
		if empty {
			return map[string]any{}, stack, nil
		}
		base := len(stack)
		for more := true; more; {
			if d.i >= len(d.data) || d.data[d.i] != '"' {
				return nil, stack, d.errUnexpected(d.i, "looking for beginning of object key string")
			}
			key, err := d.str(true)
			if err != nil {
				return nil, stack, err
			}
			d.skipSpace()
			if d.i >= len(d.data) || d.data[d.i] != ':' {
				return nil, stack, d.errUnexpected(d.i, "after object key")
			}
			d.i++
			d.skipSpace()
			var val any
			if val, stack, err = d.value(stack); err != nil {
				return nil, stack, err
			}
			stack = append(stack, keyValue{key, val})
			if more, err = d.next('}', "after object key:value pair"); err != nil {
				return nil, stack, err
			}
		}
		members := stack[base:]
		m := make(map[string]any, len(members))
		for _, kv := range members {
			m[kv.key] = kv.val
		}
		return m, stack[:base], nil
	case '[':
		empty, err := d.open(']')
		if err != nil {
			return nil, stack, err
		}
		if empty {
			return []any{}, stack, nil
		}
		base := len(stack)
		for more := true; more; {
			var v any
			if v, stack, err = d.value(stack); err != nil {
				return nil, stack, err
			}
			stack = append(stack, keyValue{val: v})
			if more, err = d.next(']', "after array element"); err != nil {
				return nil, stack, err
			}
		}
		elems := stack[base:]
		a := make([]any, len(elems))
		for k, e := range elems {
			a[k] = e.val
		}
		return a, stack[:base], nil
	case 't':
		return true, stack, d.literal("true")
	case 'f':
		return false, stack, d.literal("false")
	case 'n':
		return nil, stack, d.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			n, err := d.number()
			return n, stack, err
		}
		return nil, stack, d.errUnexpected(d.i, "looking for beginning of value")
	}
}

// literal consumes lit, which must start at d.i.
func (d *decoder) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if j := d.i + k; j >= len(d.data) || d.data[j] != lit[k] {
			return d.errUnexpected(j, "in literal "+lit)
		}
	}
	d.i += len(lit)
	return nil
}

// number consumes the number literal at d.i and returns its text as a
// json.Number.
func (d *decoder) number() (any, error) {
	end, bad := scanNumber(d.data, d.i)
	if bad != "" {
		return nil, d.errUnexpected(end, bad)
	}
	n := json.Number(d.data[d.i:end])
	d.i = end
	return n, nil
}

// scanNumber reads the JSON number literal starting at s[i] (RFC 8259
// section 6: optional '-', no leading zeros, optional fraction with at
// least one digit, optional exponent with at least one digit) and returns
// the offset just after it. When s[i:] does not start with one, it returns
// the offset of the byte that breaks the grammar and what was being read
// there, for the error message. The decoder and the encoder's check of a
// json.Number share it.
func scanNumber[T string | []byte](s T, i int) (end int, bad string) {
	digits := func(i int) int {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(i + 1)
	default:
		return i, "in numeric literal"
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, "after decimal point in numeric literal"
		}
		i = digits(i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return i, "in exponent of numeric literal"
		}
		i = digits(i)
	}
	return i, ""
}

// open consumes the '{' or '[' at d.i, counting one more open object or
// array (refusing to go deeper than encoding/json does), and then the
// closer when the object or array is empty.
func (d *decoder) open(closer byte) (empty bool, err error) {
	d.depth++
	if d.depth > maxNestingDepth {
		return false, d.errAt(d.i, "exceeded max nesting depth of "+strconv.Itoa(maxNestingDepth))
	}
	d.i++
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == closer {
		d.i++
		d.depth--
		return true, nil
	}
	return false, nil
}

// next consumes what follows a member or element: a ',' and the space
// after it (more is true), or the closer, which ends the object or array.
// context names the place for the error.
func (d *decoder) next(closer byte, context string) (more bool, err error) {
	d.skipSpace()
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case ',':
			d.i++
			d.skipSpace()
			return true, nil
		case closer:
			d.i++
			d.depth--
			return false, nil
		}
	}
	return false, d.errUnexpected(d.i, context)
}

// str parses the string literal whose opening quote is at d.i and returns
// its unescaped value. With intern, a plain string that is a member name
// SCIM resources and Microsoft Graph objects use (see internKey) is
// returned without allocating: every decoded user shares one copy of
// "userName".
func (d *decoder) str(intern bool) (string, error) {
	data := d.data
	start := d.i + 1
	// Fast path: printable ASCII without escapes is copied as it is.
	for i := skipPlain(data, start); i < len(data); i++ {
		c := data[i]
		if c == '"' {
			d.i = i + 1
			if intern && i-start <= maxInternedKey {
				if k, ok := internKey(data[start:i]); ok {
					return k, nil
				}
			}
			return string(data[start:i]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return d.strSlow(start, i)
		}
	}
	return "", d.errUnexpected(len(data), "in string literal")
}

// maxInternedKey is the length of the longest name internKey knows.
const maxInternedKey = len("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")

// internKey returns the shared string for a common member name.
func internKey(b []byte) (string, bool) {
	// The compiler compares string(b) with each case without converting.
	switch string(b) {
	case "schemas":
		return "schemas", true
	case "id":
		return "id", true
	case "externalId":
		return "externalId", true
	case "userName":
		return "userName", true
	case "displayName":
		return "displayName", true
	case "name":
		return "name", true
	case "givenName":
		return "givenName", true
	case "familyName":
		return "familyName", true
	case "formatted":
		return "formatted", true
	case "emails":
		return "emails", true
	case "value":
		return "value", true
	case "type":
		return "type", true
	case "primary":
		return "primary", true
	case "active":
		return "active", true
	case "title":
		return "title", true
	case "meta":
		return "meta", true
	case "resourceType":
		return "resourceType", true
	case "created":
		return "created", true
	case "lastModified":
		return "lastModified", true
	case "location":
		return "location", true
	case "version":
		return "version", true
	case "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
		return "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", true
	case "department":
		return "department", true
	case "employeeNumber":
		return "employeeNumber", true
	case "organization":
		return "organization", true
	case "manager":
		return "manager", true
	case "totalResults":
		return "totalResults", true
	case "startIndex":
		return "startIndex", true
	case "itemsPerPage":
		return "itemsPerPage", true
	case "Resources":
		return "Resources", true
	// Microsoft Graph users, groups and app role assignments.
	case "userPrincipalName":
		return "userPrincipalName", true
	case "mail":
		return "mail", true
	case "mailNickname":
		return "mailNickname", true
	case "surname":
		return "surname", true
	case "jobTitle":
		return "jobTitle", true
	case "accountEnabled":
		return "accountEnabled", true
	case "employeeId":
		return "employeeId", true
	case "companyName":
		return "companyName", true
	case "@removed":
		return "@removed", true
	case "reason":
		return "reason", true
	case "appRoleId":
		return "appRoleId", true
	case "principalId":
		return "principalId", true
	case "principalType":
		return "principalType", true
	case "@odata.type":
		return "@odata.type", true
	case "@odata.nextLink":
		return "@odata.nextLink", true
	case "@odata.deltaLink":
		return "@odata.deltaLink", true
	}
	return "", false
}

// Constants for looking at eight bytes at once.
const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// skipPlain returns the offset of the first eight-byte word at or after i
// that holds a byte that is not printable ASCII or is '"' or '\\', or the
// offset from which fewer than eight bytes are left.
func skipPlain(data []byte, i int) int {
	for i+8 <= len(data) {
		w := binary.LittleEndian.Uint64(data[i:])
		// The high bit of a byte of the sum is set if the byte is < 0x20,
		// '"' or '\\' or >= 0x80 (a subtraction's borrow can set it in
		// a higher byte only when a lower byte is one of those).
		// (In Go, | binds like - and +, hence the parentheses.)
		if ((w-0x20*lsbs)|((w^'"'*lsbs)-lsbs)|((w^'\\'*lsbs)-lsbs)|w)&msbs != 0 {
			break
		}
		i += 8
	}
	return i
}

// strSlow continues str at data[i], the first byte that needs more than
// copying; data[start:i] is plain ASCII.
func (d *decoder) strSlow(start, i int) (string, error) {
	data := d.data
	var scratch [128]byte
	b := append(scratch[:0], data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.i = i + 1
			return string(b), nil
		case c == '\\':
			if i+1 >= len(data) {
				return "", d.errUnexpected(i+1, "in string escape code")
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.hex4(i + 2)
				if err != nil {
					return "", err
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A valid pair is consumed whole; anything else turns
					// the first escape into U+FFFD and leaves what follows
					// to the next iteration, as encoding/json does.
					if r2, ok := peekU4(data[i:]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", d.errUnexpected(i+1, "in string escape code")
			}
			i += 2
		case c < 0x20:
			return "", d.errUnexpected(i, "in string literal")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, data[i:i+size]...)
			}
			i += size
		}
	}
	return "", d.errUnexpected(len(data), "in string literal")
}

// hex4 reads the four hexadecimal digits of a \u escape at data[i:].
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for k := i; k < i+4; k++ {
		if k >= len(d.data) {
			return 0, d.errUnexpected(k, "in \\u hexadecimal character escape")
		}
		v := unhex(d.data[k])
		if v < 0 {
			return 0, d.errUnexpected(k, "in \\u hexadecimal character escape")
		}
		r = r<<4 | v
	}
	return r, nil
}

// peekU4 reports the rune of a well-formed \uXXXX escape at the start of s.
func peekU4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		v := unhex(c)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | v
	}
	return r, true
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}
