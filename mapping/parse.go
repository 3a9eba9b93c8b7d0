package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// maxExpressionLength is the longest expression accepted, in characters,
// as in Entra.
const maxExpressionLength = 10000

// ErrSyntax matches every [*SyntaxError] with errors.Is.
var ErrSyntax = errors.New("mapping: expression syntax error")

// SyntaxError is a fault found by [ParseExpression]: where it is and what it
// is. Offset is the byte offset in the expression text; Line and Column
// (both 1-based, Column counted in characters) locate it for people.
type SyntaxError struct {
	Offset int
	Line   int
	Column int
	Msg    string
}

// Error returns "mapping: expression: line L, column C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("mapping: expression: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Expression is a parsed Entra attribute-mapping expression. Parse once with
// [ParseExpression], evaluate many times with [Expression.Evaluate]; an
// Expression is immutable and safe for concurrent use.
type Expression struct {
	text string
	root *node
}

// String returns the expression text as it was parsed.
func (e *Expression) String() string {
	if e == nil {
		return ""
	}
	return e.text
}

// Attributes returns the names of the source attributes the expression
// reads, in order of first appearance, without duplicates.
func (e *Expression) Attributes() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == nAttr && !seen[n.name] {
			seen[n.name] = true
			out = append(out, n.name)
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(e.root)
	return out
}

type nodeKind uint8

const (
	nOmitted nodeKind = iota // an argument left out: Switch([x], , "a", "b")
	nLiteral                 // string or number; val holds it
	nAttr                    // [name]
	nIdent                   // bare word: vbTextCompare, vbBinaryCompare, IgnoreAttributeFlow, IgnoreObjectFlow
	nCall                    // fn(args)
	nCompare                 // args[0] op args[1]
)

type compOp uint8

const (
	opEq compOp = iota
	opNe
	opGt
	opGe
	opLt
	opLe
)

func (o compOp) String() string {
	return [...]string{"=", "<>", ">", ">=", "<", "<="}[o]
}

type node struct {
	kind nodeKind
	fn   *function // a call: its row of the function table
	op   compOp
	pos  int // byte offset in the text
	name string
	val  Value
	args []*node
	re   *regexp2.Regexp // Replace with a literal pattern: compiled once
	mode replaceMode     // Replace: which form, decided from the arguments given
}

// ParseExpression parses an Entra attribute-mapping expression. A fault —
// an unknown or wrongly cased function, a wrong number of arguments, an
// unterminated string, an invalid regular expression literal, a
// SelectUniqueValue that is not outermost — is a [*SyntaxError] naming the
// position and the nature of the fault. Expressions longer than
// maxExpressionLength (10,000) characters are rejected.
func ParseExpression(text string) (*Expression, error) {
	if n := utf8.RuneCountInString(text); n > maxExpressionLength {
		return nil, &SyntaxError{Offset: 0, Line: 1, Column: 1,
			Msg: fmt.Sprintf("expression is %d characters long; at most %d are allowed", n, maxExpressionLength)}
	}
	if !utf8.ValidString(text) {
		p := &parser{text: text}
		for i, r := range text {
			if r == utf8.RuneError {
				return nil, p.errAt(i, "invalid UTF-8")
			}
		}
	}
	return parse(text, 0, new(int))
}

// parse parses an expression whose regular-expression literals time out
// after regexTimeout (0: DefaultRegexTimeout). regexes counts the literals
// compiled, across the expressions of one set: at most maxRegexes.
func parse(text string, regexTimeout time.Duration, regexes *int) (*Expression, error) {
	p := &parser{text: text, lex: lexer{text: text}, funcs: functionTable(), regexTimeout: regexTimeout, regexes: regexes}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errAt(p.tok.pos, "empty expression")
	}
	root, err := p.parseExpr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errAt(p.tok.pos, fmt.Sprintf("unexpected %s after the end of the expression", p.describe()))
	}
	return &Expression{text: text, root: root}, nil
}

// mustParseExpression is [ParseExpression] for expressions known to be valid
// (constants in programs); it panics on a syntax error.
func mustParseExpression(text string) *Expression {
	e, err := ParseExpression(text)
	if err != nil {
		panic(err)
	}
	return e
}

// parser is a recursive-descent parser over the tokens of a [lexer], with
// one token of lookahead.
type parser struct {
	text         string
	lex          lexer
	tok          token
	funcs        []function
	regexTimeout time.Duration
	regexes      *int // regular expressions compiled so far, in this set
}

func (p *parser) errAt(off int, msg string) *SyntaxError {
	line, col := 1, 1
	for i, r := range p.text {
		if i >= off {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: msg}
}

// advance reads the next token into p.tok.
func (p *parser) advance() error {
	t, lerr := p.lex.next()
	if lerr != nil {
		return p.errAt(lerr.off, lerr.msg)
	}
	p.tok = t
	return nil
}

// describe names the current token for error messages.
func (p *parser) describe() string {
	if p.tok.kind == tEOF {
		return "end of expression"
	}
	r, _ := utf8.DecodeRuneInString(p.text[p.tok.pos:])
	return strconv.QuoteRune(r)
}

// parseExpr parses primary (compop primary)?. depth counts enclosing calls.
func (p *parser) parseExpr(depth int) (*node, error) {
	left, err := p.parsePrimary(depth)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tCompare {
		return left, nil
	}
	opTok := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if k := p.tok.kind; k == tEOF || k == tComma || k == tRParen {
		return nil, p.errAt(p.tok.pos, fmt.Sprintf("missing right-hand side of %q", opTok.op.String()))
	}
	right, err := p.parsePrimary(depth)
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tCompare {
		return nil, p.errAt(p.tok.pos, "comparisons cannot be chained; nest IIF calls instead (AND and OR are not supported)")
	}
	return &node{kind: nCompare, op: opTok.op, pos: opTok.pos, args: []*node{left, right}}, nil
}

func (p *parser) parsePrimary(depth int) (*node, error) {
	t := p.tok
	switch t.kind {
	case tAttr:
		return &node{kind: nAttr, pos: t.pos, name: t.text}, p.advance()
	case tString:
		return &node{kind: nLiteral, pos: t.pos, val: stringValue(t.text)}, p.advance()
	case tDecimal:
		return &node{kind: nLiteral, pos: t.pos, val: stringValue(t.text)}, p.advance()
	case tInt:
		return &node{kind: nLiteral, pos: t.pos, val: intValue(t.num)}, p.advance()
	case tIdent:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tLParen {
			return p.parseCall(t.text, t.pos, depth)
		}
		switch t.text {
		case identTextCompare, identBinaryCompare, identIgnoreAttributeFlow, identIgnoreObjectFlow:
			return &node{kind: nIdent, pos: t.pos, name: t.text}, nil
		}
		if _, ok := lookupFunction(p.funcs, t.text); ok {
			return nil, p.errAt(t.pos, fmt.Sprintf("function %s must be called with parentheses: %s(…)", t.text, t.text))
		}
		msg := fmt.Sprintf("unknown word %q: attribute names are written in square brackets, [%s], and strings in double quotes", t.text, t.text)
		if s := suggestIdent(t.text); s != "" {
			msg = fmt.Sprintf("unknown word %q (did you mean %s?)", t.text, s)
		}
		return nil, p.errAt(t.pos, msg)
	case tComma, tRParen:
		return nil, p.errAt(t.pos, fmt.Sprintf("a value is missing before %s", p.describe()))
	case tEOF:
		return nil, p.errAt(t.pos, "unexpected end of expression: a value is missing")
	}
	return nil, p.errAt(t.pos, fmt.Sprintf("unexpected %s", p.describe()))
}

// parseCall parses the arguments of name( … ); p.tok is the '('.
func (p *parser) parseCall(name string, start, depth int) (*node, error) {
	f, ok := lookupFunction(p.funcs, name)
	if !ok {
		msg := fmt.Sprintf("unknown function %q", name)
		if s := suggestFunc(p.funcs, name); s != "" {
			msg += fmt.Sprintf(" (did you mean %s? function names are case-sensitive)", s)
		}
		return nil, p.errAt(start, msg)
	}
	n := &node{kind: nCall, fn: f, pos: start, name: f.name}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tRParen {
		if err := p.advance(); err != nil {
			return nil, err
		}
	} else {
		for {
			switch p.tok.kind {
			case tEOF:
				return nil, p.errAt(start, fmt.Sprintf("unterminated call of %s: missing ')'", name))
			case tComma, tRParen:
				n.args = append(n.args, &node{kind: nOmitted, pos: p.tok.pos})
			default:
				a, err := p.parseExpr(depth + 1)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, a)
			}
			if p.tok.kind == tComma {
				if err := p.advance(); err != nil {
					return nil, err
				}
				continue
			}
			if p.tok.kind == tRParen {
				if err := p.advance(); err != nil {
					return nil, err
				}
				break
			}
			if p.tok.kind == tEOF {
				return nil, p.errAt(start, fmt.Sprintf("unterminated call of %s: missing ')'", name))
			}
			return nil, p.errAt(p.tok.pos, fmt.Sprintf("expected ',' or ')' in the arguments of %s, found %s", name, p.describe()))
		}
	}
	if err := f.checkArity(p, n); err != nil {
		return nil, err
	}
	if f.check != nil {
		if err := f.check(p, n, depth); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

const (
	identTextCompare         = "vbTextCompare"
	identBinaryCompare       = "vbBinaryCompare"
	identIgnoreAttributeFlow = "IgnoreAttributeFlow"
	identIgnoreObjectFlow    = "IgnoreObjectFlow"
)

func suggestIdent(name string) string {
	for _, w := range []string{identTextCompare, identBinaryCompare, identIgnoreAttributeFlow, identIgnoreObjectFlow} {
		if strings.EqualFold(w, name) || editDistance(strings.ToLower(w), strings.ToLower(name)) <= 2 {
			return w
		}
	}
	if strings.EqualFold(name, "and") || strings.EqualFold(name, "or") {
		return "nested IIF calls (AND and OR are not supported)"
	}
	return ""
}

// suggestFunc returns the documented function closest to name: the same
// name in another case, or one within two edits.
func suggestFunc(funcs []function, name string) string {
	best, bestD := "", 3
	for _, f := range funcs {
		if strings.EqualFold(f.name, name) {
			return f.name
		}
		if d := editDistance(strings.ToLower(f.name), strings.ToLower(name)); d < bestD {
			best, bestD = f.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
