package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token of the expression language.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tLParen          // (
	tRParen          // )
	tComma           // ,
	tCompare         // = <> > >= < <= (and the lenient == !=)
	tAttr            // [name]; text is the name
	tString          // "…"; text is the value, escapes resolved
	tInt             // 42, -10, &HF7; num is the value
	tDecimal         // 42568.75; text is the literal
	tIdent           // a bare word: a function name or vbTextCompare…
)

type token struct {
	kind tokKind
	pos  int // byte offset of the token's first character
	text string
	num  int64
	op   compOp
}

// lexer is the hand-written scanner of the expression language: it skips
// white space (spaces, tabs, new lines, no-break spaces) between tokens and
// reports malformed tokens with their position.
type lexer struct {
	text string
	pos  int
}

// lexError is a malformed token: its offset and what is wrong.
type lexError struct {
	off int
	msg string
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.text) {
		switch l.text[l.pos] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			l.pos++
		default:
			r, size := utf8.DecodeRuneInString(l.text[l.pos:])
			if r == '\u00a0' || r == '\u200b' || r == '\ufeff' {
				l.pos += size
				continue
			}
			return
		}
	}
}

// next returns the next token.
func (l *lexer) next() (token, *lexError) {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.text) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.text[l.pos]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tLParen, pos: start}, nil
	case c == ')':
		l.pos++
		return token{kind: tRParen, pos: start}, nil
	case c == ',':
		l.pos++
		return token{kind: tComma, pos: start}, nil
	case c == '=' || c == '<' || c == '>' || (c == '!' && strings.HasPrefix(l.text[l.pos:], "!=")):
		op, size := compareOp(l.text[l.pos:])
		l.pos += size
		return token{kind: tCompare, pos: start, op: op}, nil
	case c == '[':
		end := strings.IndexAny(l.text[l.pos+1:], "]\n")
		if end < 0 || l.text[l.pos+1+end] == '\n' {
			return token{}, &lexError{start, "unterminated attribute name: missing ']'"}
		}
		name := strings.TrimSpace(l.text[l.pos+1 : l.pos+1+end])
		if name == "" {
			return token{}, &lexError{start, "empty attribute name '[]'"}
		}
		if strings.ContainsAny(name, "[\"") {
			return token{}, &lexError{start, fmt.Sprintf("invalid attribute name %q", name)}
		}
		l.pos += end + 2
		return token{kind: tAttr, pos: start, text: name}, nil
	case c == '"':
		return l.str()
	case isDigit(c) || ((c == '-' || c == '+') && l.pos+1 < len(l.text) && (isDigit(l.text[l.pos+1]) || l.text[l.pos+1] == '.')) || (c == '.' && l.pos+1 < len(l.text) && isDigit(l.text[l.pos+1])):
		return l.number()
	case c == '&':
		if l.pos+1 < len(l.text) && (l.text[l.pos+1] == 'H' || l.text[l.pos+1] == 'h') {
			i := l.pos + 2
			for i < len(l.text) && isHex(l.text[i]) {
				i++
			}
			if i == l.pos+2 {
				return token{}, &lexError{start, "hexadecimal literal '&H' without digits"}
			}
			if i < len(l.text) && isIdentPart(l.text[i]) {
				return token{}, &lexError{i, fmt.Sprintf("invalid character %q in hexadecimal literal", l.text[i])}
			}
			u, err := strconv.ParseUint(l.text[l.pos+2:i], 16, 64)
			if err != nil {
				return token{}, &lexError{start, "hexadecimal literal is too large for 64 bits"}
			}
			l.pos = i
			return token{kind: tInt, pos: start, num: int64(u)}, nil
		}
		return token{}, &lexError{start, "unexpected '&': hexadecimal literals are written &H followed by digits"}
	case isIdentStart(c):
		i := l.pos
		for i < len(l.text) && isIdentPart(l.text[i]) {
			i++
		}
		l.pos = i
		return token{kind: tIdent, pos: start, text: l.text[start:i]}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.text[l.pos:])
	return token{}, &lexError{start, "unexpected " + strconv.QuoteRune(r)}
}

// compareOp reads a comparison operator at the start of s.
func compareOp(s string) (compOp, int) {
	switch {
	case strings.HasPrefix(s, "<>"), strings.HasPrefix(s, "!="):
		return opNe, 2
	case strings.HasPrefix(s, ">="):
		return opGe, 2
	case strings.HasPrefix(s, "<="):
		return opLe, 2
	case strings.HasPrefix(s, "=="):
		return opEq, 2
	case s[0] == '>':
		return opGt, 1
	case s[0] == '<':
		return opLt, 1
	}
	return opEq, 1
}

// str reads a double-quoted string; \" and \\ are escapes, any other
// backslash is kept as it is. A string without escapes is not copied.
func (l *lexer) str() (token, *lexError) {
	start := l.pos
	i := l.pos + 1
	for i < len(l.text) {
		switch l.text[i] {
		case '"':
			l.pos = i + 1
			return token{kind: tString, pos: start, text: l.text[start+1 : i]}, nil
		case '\\':
			return l.strEscaped(start, i)
		}
		i++
	}
	return token{}, &lexError{start, "unterminated string: missing closing '\"'"}
}

func (l *lexer) strEscaped(start, i int) (token, *lexError) {
	var b strings.Builder
	b.WriteString(l.text[start+1 : i])
	for i < len(l.text) {
		c := l.text[i]
		switch c {
		case '"':
			l.pos = i + 1
			return token{kind: tString, pos: start, text: b.String()}, nil
		case '\\':
			if i+1 < len(l.text) && (l.text[i+1] == '"' || l.text[i+1] == '\\') {
				b.WriteByte(l.text[i+1])
				i += 2
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return token{}, &lexError{start, "unterminated string: missing closing '\"'"}
}

// number reads 7, -10, 1000 or 42568.75.
func (l *lexer) number() (token, *lexError) {
	start := l.pos
	i := l.pos
	if l.text[i] == '-' || l.text[i] == '+' {
		i++
	}
	for i < len(l.text) && isDigit(l.text[i]) {
		i++
	}
	decimal := false
	if i < len(l.text) && l.text[i] == '.' {
		decimal = true
		i++
		d := i
		for i < len(l.text) && isDigit(l.text[i]) {
			i++
		}
		if d == i {
			return token{}, &lexError{i, "digits are missing after the decimal point"}
		}
	}
	if i < len(l.text) && (isIdentStart(l.text[i]) || l.text[i] == '.') {
		return token{}, &lexError{i, fmt.Sprintf("invalid character %q in number", l.text[i])}
	}
	lit := l.text[start:i]
	l.pos = i
	if decimal {
		// A decimal literal keeps its text: Len(42568.75) is 8.
		return token{kind: tDecimal, pos: start, text: strings.TrimPrefix(lit, "+")}, nil
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return token{}, &lexError{start, fmt.Sprintf("number %s is too large for 64 bits", lit)}
	}
	return token{kind: tInt, pos: start, num: n}, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
