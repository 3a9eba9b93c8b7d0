package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/q-uint/parser"
	filter "github.com/scim2/filter-parser/v2"
)

// maxFilterLen bounds the length of a filter; maxFilterDepth bounds the
// nesting of parentheses and brackets. Both keep parsing fast on hostile
// input.
const (
	maxFilterLen   = 8192
	maxFilterDepth = 32
)

// Filter is a parsed SCIM filter (RFC 7644 §3.4.2.2), ready to be evaluated
// against resources with [Filter.Matches]. A Filter is immutable and safe for
// concurrent use.
type Filter struct {
	root    node
	tmpl    []keyValue // the element an "eq … and …" filter describes
	tmplErr string     // why there is no such element
}

// newFilter wraps a converted expression tree.
func newFilter(root node) *Filter {
	f := &Filter{root: root}
	f.buildTemplate()
	return f
}

// node is one node of a filter expression tree.
type node interface {
	// eval evaluates the node against one object (a resource, or one element
	// of a multi-valued attribute).
	eval(obj map[string]any) bool
	// render writes the node in SCIM syntax; top reports whether it is the
	// outermost node (no parentheses needed).
	render(b *strings.Builder, top bool)
}

// cmpNode is "attr op value" or "attr pr".
type cmpNode struct {
	ref   attrRef
	op    filter.CompareOperator
	value any // string, bool, nil or json.Number
	num   float64
	isNum bool
	exact bool // the attribute is case-exact (see caseExact)
}

// logicNode is "left and right" or "left or right".
type logicNode struct {
	and         bool
	left, right node
}

// notNode is "not (x)".
type notNode struct{ x node }

// valuePathNode is "attr[filter]" inside a filter.
type valuePathNode struct {
	ref    attrRef
	filter node
}

// ParseFilter parses a SCIM filter such as
//
//	userName eq "bjensen" and (emails[type eq "work" and value co "@example.com"] or not (title pr))
//
// with github.com/scim2/filter-parser/v2. Operators and keywords are
// case-insensitive; string literals are JSON strings and are unescaped.
// Bracketed value filters are parsed on their own with the full grammar, so
// they may hold any filter (the parser's own rule allows only two
// comparisons), and the common non-RFC form `emails[type eq "work"].value eq
// "x"` is read as `emails[type eq "work" and value eq "x"]`.
// Errors are a [*SyntaxError] saying what is wrong and where; errors.As also
// finds a [*Error] with status 400 and scimType "invalidFilter" in them.
func ParseFilter(s string) (*Filter, error) {
	return parseFilter(s)
}

func parseFilter(s string) (*Filter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, filterError(s, 0, "empty filter", nil)
	}
	if len(s) > maxFilterLen {
		return nil, filterError(s, maxFilterLen, fmt.Sprintf("filter longer than %d bytes", maxFilterLen), nil)
	}
	if f := quickFilter(s); f != nil {
		markCaseExact(f.root, "")
		return f, nil
	}
	if off, msg := prescanFilter(s); msg != "" {
		return nil, filterError(s, off, msg, nil)
	}
	// The grammar allows no space around the whole filter.
	lead := len(s) - len(strings.TrimLeft(s, " "))
	text := strings.TrimRight(s[lead:], " ")
	rw, err := hoistValuePaths(text)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, filterError(s, lead+se.Offset, se.Msg, se.Err)
		}
		return nil, filterError(s, lead, err.Error(), err)
	}
	expr, err := filter.ParseFilterNumber([]byte(rw.text))
	if err != nil {
		off, msg := describeParseError(rw.text, text, rw.origOffset, err)
		return nil, filterError(s, lead+off, msg, err)
	}
	root, err := convert(expr, rw.paths)
	if err != nil {
		return nil, filterError(s, lead, err.Error(), nil)
	}
	markCaseExact(root, "")
	return newFilter(root), nil
}

// rewritten is a filter whose value paths were replaced by placeholders.
type rewritten struct {
	text  string
	paths map[string]*hoisted // placeholder attribute name → value path
	spans []span
}

// hoisted is one value path taken out of a filter: attr[filter] and an
// optional ".sub" that followed it.
type hoisted struct {
	ref    attrRef
	filter node
	sub    string
}

// span maps a placeholder in the rewritten text back to the original.
type span struct {
	newStart, newEnd, origStart, origEnd int
}

// origOffset translates an offset in the rewritten text to the original.
func (r rewritten) origOffset(off int) int {
	delta := 0
	for _, sp := range r.spans {
		if off < sp.newStart {
			break
		}
		if off < sp.newEnd {
			return sp.origStart
		}
		delta = sp.origEnd - sp.newEnd
	}
	return off + delta
}

// hoistValuePaths replaces every top-level value path `attr[…]` (and an
// `attr[…].sub` comparison) of a filter by a placeholder attribute the
// grammar accepts, and parses the bracketed filters on their own with the
// full grammar. The filter-parser's own value-path rule allows at most two
// comparisons inside brackets and no parentheses; this lifts that limit and
// accepts `emails[type eq "work"].value eq "x"` (meaning
// `emails[type eq "work" and value eq "x"]`).
func hoistValuePaths(text string) (rewritten, error) {
	out := rewritten{text: text}
	if strings.IndexByte(text, '[') < 0 || strings.Contains(text, "$vp") {
		return out, nil
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '"':
			if end := skipString(text, i); end > 0 {
				i = end
			}
			continue
		case '[':
		default:
			continue
		}
		h, start, stop, err := hoistOne(text, last, i)
		if err != nil {
			return out, err
		}
		if out.paths == nil {
			out.paths = map[string]*hoisted{}
		}
		marker := fmt.Sprintf("$vp%d", len(out.paths))
		out.paths[marker] = h
		b.WriteString(text[last:start])
		newStart := b.Len()
		b.WriteString(marker)
		if h.sub != "" {
			b.WriteString(".")
			b.WriteString(h.sub)
		} else {
			b.WriteString(" pr")
		}
		out.spans = append(out.spans, span{newStart, b.Len(), start, stop})
		last = stop
		i = stop - 1
	}
	b.WriteString(text[last:])
	out.text = b.String()
	return out, nil
}

// hoistOne parses the value path whose "[" is at text[i]: the attribute
// path before it (not before last), the bracketed filter and an optional
// ".sub" after it. start and stop delimit the value path in text.
func hoistOne(text string, last, i int) (*hoisted, int, int, error) {
	// The attribute path ends before the bracket (spaces allowed).
	end := i
	for end > last && text[end-1] == ' ' {
		end--
	}
	start := end
	for start > last && isPathByte(text[start-1]) {
		start--
	}
	if start == end {
		return nil, 0, 0, &SyntaxError{Offset: i, Msg: "value filter \"[\" without an attribute before it"}
	}
	attrText := text[start:end]
	p, off, msg := parseSimplePath(attrText)
	switch {
	case msg != "":
		return nil, 0, 0, &SyntaxError{Offset: start + off, Msg: "value path: " + msg}
	case p.attr == "":
		return nil, 0, 0, &SyntaxError{Offset: start, Msg: "value path: a whole schema extension cannot take a value filter"}
	case p.sub != "":
		return nil, 0, 0, &SyntaxError{Offset: start + len(p.urn) + len(p.attr), Msg: "value path: a value filter must follow an attribute name, not a sub-attribute"}
	}
	closing, bad, bmsg := matchBracket(text, i)
	if bmsg != "" {
		return nil, 0, 0, &SyntaxError{Offset: bad, Msg: bmsg}
	}
	inner := text[i+1 : closing]
	if strings.TrimSpace(inner) == "" {
		return nil, 0, 0, &SyntaxError{Offset: i, Msg: "empty value filter"}
	}
	f, err := parseFilter(inner)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, 0, 0, &SyntaxError{Offset: i + 1 + se.Offset, Msg: "value filter: " + se.Msg, Err: se.Err}
		}
		return nil, 0, 0, &SyntaxError{Offset: i + 1, Msg: "value filter: " + err.Error(), Err: err}
	}
	h := &hoisted{ref: attrRef{urn: p.urn, attr: p.attr}, filter: f.root}
	stop := closing + 1
	if stop < len(text) && text[stop] == '.' {
		j := stop + 1
		for j < len(text) && isPathByte(text[j]) {
			j++
		}
		h.sub = text[stop+1 : j]
		if checkName(h.sub) >= 0 {
			return nil, 0, 0, &SyntaxError{Offset: stop + 1, Msg: fmt.Sprintf("invalid sub-attribute name %q after value filter", h.sub)}
		}
		stop = j
	}
	return h, start, stop, nil
}

// isPathByte reports whether c can appear in an attribute path.
func isPathByte(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '$' || c == '.' || c == ':'
}

// quickFilter recognises the filter nearly every value path and lookup
// uses — one comparison of a plain attribute name with a string or boolean
// literal, such as `type eq "work"` — without calling the filter parser,
// which costs tens of microseconds per call. It accepts only input the
// grammar accepts with the same meaning (a fuzz test checks this) and
// returns nil for everything else, which then goes to the parser.
func quickFilter(s string) *Filter {
	t := strings.Trim(s, " ")
	sp := strings.IndexByte(t, ' ')
	if sp <= 0 || checkName(t[:sp]) >= 0 {
		return nil
	}
	name := t[:sp]
	rest := strings.TrimLeft(t[sp:], " ")
	if len(rest) < 4 || rest[2] != ' ' {
		return nil
	}
	op, ok := compareOp(rest[:2])
	if !ok {
		return nil
	}
	lit := strings.TrimLeft(rest[3:], " ")
	n := &cmpNode{ref: attrRef{attr: name}, op: op}
	switch {
	case len(lit) >= 2 && lit[0] == '"' && lit[len(lit)-1] == '"':
		body := lit[1 : len(lit)-1]
		if !validStringBody(body) {
			return nil
		}
		v, err := unescape(body)
		if err != nil {
			return nil
		}
		n.value = v
	case strings.EqualFold(lit, "true"):
		n.value = true
	case strings.EqualFold(lit, "false"):
		n.value = false
	default:
		return nil
	}
	return newFilter(n)
}

// compareOp maps a two-letter comparison operator, in any case.
func compareOp(s string) (filter.CompareOperator, bool) {
	for _, op := range [...]filter.CompareOperator{filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW, filter.GT, filter.GE, filter.LT, filter.LE} {
		if len(s) == 2 && asciiFold(s, string(op)) {
			return op, true
		}
	}
	return "", false
}

// validStringBody reports whether s is the inside of a string literal the
// filter grammar accepts: no raw '"' or control characters, and only the
// escapes \" \\ \/ \b \f \n \r \t and \u with four upper-case hex digits.
func validStringBody(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s) {
				return false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for j := i + 1; j <= i+4; j++ {
					if j >= len(s) || !(isDigit(s[j]) || (s[j] >= 'A' && s[j] <= 'F')) {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return true
}

// prescanFilter finds the faults the parser reports poorly: unterminated
// strings, unbalanced brackets and parentheses, control characters and
// excessive nesting.
func prescanFilter(s string) (int, string) {
	var stack []byte
	var opened []int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			end := skipString(s, i)
			if end < 0 {
				return i, "unterminated string"
			}
			for j := i + 1; j < end; j++ {
				if s[j] < 0x20 {
					return j, fmt.Sprintf("control character %q in a string (escape it)", rune(s[j]))
				}
			}
			i = end
		case c == '(' || c == '[':
			if len(stack) >= maxFilterDepth {
				return i, fmt.Sprintf("nested more than %d levels deep", maxFilterDepth)
			}
			stack = append(stack, c)
			opened = append(opened, i)
		case c == ')' || c == ']':
			want := byte('(')
			if c == ']' {
				want = '['
			}
			if len(stack) == 0 || stack[len(stack)-1] != want {
				return i, fmt.Sprintf("unexpected %q", rune(c))
			}
			stack = stack[:len(stack)-1]
			opened = opened[:len(opened)-1]
		case c < 0x20:
			return i, fmt.Sprintf("control character %q", rune(c))
		}
	}
	if len(stack) > 0 {
		return opened[len(opened)-1], fmt.Sprintf("%q is never closed", rune(stack[len(stack)-1]))
	}
	return 0, ""
}

// describeParseError turns a filter-parser error into the byte offset of
// the fault and a sentence. The parser matches the longest valid filter it
// can; when input is left over, the fault is where that filter ends.
// Otherwise no expression could be read from the start. Offsets are found
// in the text given to the parser and translated by orig for the message.
func describeParseError(parsed, original string, orig func(int) int, err error) (int, string) {
	var pe *parser.ExpectedParseError
	if errors.As(err, &pe) {
		if r, ok := pe.Expected.(rune); ok && r == parser.EOD {
			_, col := pe.Conflict.Position()
			// The parser counts runes; convert to a byte offset.
			off := 0
			for n := 0; n < col && off < len(parsed); n++ {
				_, size := utf8.DecodeRuneInString(parsed[off:])
				off += size
			}
			off = min(orig(off), len(original))
			near := original[off:]
			if len(near) > 20 {
				near = near[:20] + "…"
			}
			return off, fmt.Sprintf("syntax error at %q: a valid filter ends before it", near)
		}
	}
	return 0, "syntax error: no valid expression (attribute, operator eq/ne/co/sw/ew/gt/ge/lt/le/pr, value; joined by and/or; not (…)) could be read here"
}

// convert translates the parser's tree into ours, unescaping strings.
func convert(e filter.Expression, paths map[string]*hoisted) (node, error) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		n := &cmpNode{ref: refFromParser(e.AttributePath), op: filter.CompareOperator(strings.ToLower(string(e.Operator)))}
		h := paths[n.ref.attr]
		if h != nil && n.ref.urn == "" && n.ref.sub == "" && n.op == filter.PR {
			return &valuePathNode{ref: h.ref, filter: h.filter}, nil
		}
		switch v := e.CompareValue.(type) {
		case string:
			u, err := unescape(v)
			if err != nil {
				return nil, err
			}
			n.value = u
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return nil, fmt.Errorf("number %s out of range", v)
			}
			n.value, n.num, n.isNum = v, f, true
		case bool, nil:
			n.value = v
		default:
			return nil, fmt.Errorf("unsupported comparison value %v", v)
		}
		if h != nil && n.ref.urn == "" && n.ref.sub != "" {
			// attr[filter].sub op value: an element matching both.
			n.ref = attrRef{attr: n.ref.sub}
			return &valuePathNode{ref: h.ref, filter: &logicNode{and: true, left: h.filter, right: n}}, nil
		}
		return n, nil
	case *filter.LogicalExpression:
		l, err := convert(e.Left, paths)
		if err != nil {
			return nil, err
		}
		r, err := convert(e.Right, paths)
		if err != nil {
			return nil, err
		}
		return &logicNode{and: e.Operator == filter.AND, left: l, right: r}, nil
	case *filter.NotExpression:
		x, err := convert(e.Expression, paths)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	case *filter.ValuePath:
		f, err := convert(e.ValueFilter, paths)
		if err != nil {
			return nil, err
		}
		return &valuePathNode{ref: refFromParser(e.AttributePath), filter: f}, nil
	default:
		return nil, fmt.Errorf("unsupported filter expression %T", e)
	}
}

// unescape decodes the body of a JSON string literal as the filter parser
// returns it (between the quotes, escapes intact). Bytes that are not
// escapes are kept as they are, so any string survives Quote and back.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("string ends with a lone backslash")
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return "", fmt.Errorf("bad \\u escape in string")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+3); ok && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b.WriteRune(d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("bad escape \\%c in string", s[i])
		}
	}
	return b.String(), nil
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[at:at+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// Quote returns value as a SCIM filter string literal: in double quotes,
// with '"' and '\' escaped, control characters escaped as JSON escapes
// (\n, \t, \u001F, …) and everything else as it is. A quoted value always
// parses back as exactly one string equal to value, so it can never widen a
// query.
func Quote(value string) string {
	var b strings.Builder
	b.Grow(len(value) + 2)
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				// The filter grammar accepts upper-case hex digits only.
				const hexDigits = "0123456789ABCDEF"
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// EqualityFilter returns the filter `attribute eq "value"` with value quoted
// by [Quote]. The attribute must be a valid attribute path; a path with a
// value filter and a sub-attribute such as `emails[type eq "work"].value`
// becomes `emails[type eq "work" and value eq "…"]`, the form RFC 7644
// allows in filters. The result is checked by parsing it.
func EqualityFilter(attribute, value string) (string, error) {
	p, err := ParsePath(attribute)
	if err != nil {
		return "", err
	}
	var out string
	switch {
	case p.attr == "":
		return "", pathError(attribute, 0, "a whole schema extension cannot be compared to a value", nil)
	case p.filter != nil:
		if p.sub == "" {
			return "", pathError(attribute, len(attribute), "a path with a value filter needs a sub-attribute to compare", nil)
		}
		head := Path{urn: p.urn, attr: p.attr}
		var b strings.Builder
		p.filter.root.render(&b, false)
		out = head.String() + "[" + b.String() + " and " + p.sub + " eq " + Quote(value) + "]"
	default:
		out = p.String() + " eq " + Quote(value)
	}
	if _, err := parseFilter(out); err != nil {
		return "", fmt.Errorf("scim: cannot build an equality filter for %q: %w", attribute, err)
	}
	return out, nil
}

// String returns the filter in canonical SCIM syntax; it parses back to an
// equivalent filter.
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	f.root.render(&b, true)
	return b.String()
}

func (n *cmpNode) render(b *strings.Builder, _ bool) {
	n.ref.render(b)
	b.WriteByte(' ')
	b.WriteString(string(n.op))
	if n.op == filter.PR {
		return
	}
	b.WriteByte(' ')
	switch v := n.value.(type) {
	case string:
		b.WriteString(Quote(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(string(v))
	default:
		b.WriteString("null")
	}
}

func (n *logicNode) render(b *strings.Builder, top bool) {
	if !top {
		b.WriteByte('(')
	}
	renderOperand(b, n.left, n.and)
	if n.and {
		b.WriteString(" and ")
	} else {
		b.WriteString(" or ")
	}
	renderOperand(b, n.right, n.and)
	if !top {
		b.WriteByte(')')
	}
}

// renderOperand writes an operand of a logical node, bracketing a nested
// logical node only where precedence needs it ("or" inside "and").
func renderOperand(b *strings.Builder, x node, and bool) {
	if l, ok := x.(*logicNode); ok && (l.and == and || l.and) {
		l.render(b, true)
		return
	}
	x.render(b, false)
}

func (n *notNode) render(b *strings.Builder, _ bool) {
	b.WriteString("not (")
	n.x.render(b, true)
	b.WriteByte(')')
}

func (n *valuePathNode) render(b *strings.Builder, _ bool) {
	n.ref.render(b)
	b.WriteByte('[')
	n.filter.render(b, true)
	b.WriteByte(']')
}

// MarshalText encodes the filter in canonical form. A nil filter is an
// error.
func (f *Filter) MarshalText() ([]byte, error) {
	if f == nil || f.root == nil {
		return nil, fmt.Errorf("scim: cannot encode an empty Filter")
	}
	return []byte(f.String()), nil
}

// UnmarshalText parses a filter with [ParseFilter].
func (f *Filter) UnmarshalText(text []byte) error {
	g, err := ParseFilter(string(text))
	if err != nil {
		return err
	}
	*f = *g
	return nil
}
