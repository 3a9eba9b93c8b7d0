package mapping

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLexer(t *testing.T) {
	text := "IIF(Len([Last Name]) <= 5 ,\n\t\"a\\\"b\\\\c\", &HF7)  -10 42568.75 vbTextCompare <> >= < > = !="
	l := lexer{text: text}
	var got []token
	for {
		tk, err := l.next()
		if err != nil {
			t.Fatalf("lex error at %d: %s", err.off, err.msg)
		}
		got = append(got, tk)
		if tk.kind == tEOF {
			break
		}
	}
	want := []token{
		{kind: tIdent, pos: 0, text: "IIF"},
		{kind: tLParen, pos: 3},
		{kind: tIdent, pos: 4, text: "Len"},
		{kind: tLParen, pos: 7},
		{kind: tAttr, pos: 8, text: "Last Name"},
		{kind: tRParen, pos: 19},
		{kind: tCompare, pos: 21, op: opLe},
		{kind: tInt, pos: 24, num: 5},
		{kind: tComma, pos: 26},
		{kind: tString, pos: 29, text: `a"b\c`},
		{kind: tComma, pos: 38},
		{kind: tInt, pos: 40, num: 0xF7},
		{kind: tRParen, pos: 44},
		{kind: tInt, pos: 47, num: -10},
		{kind: tDecimal, pos: 51, text: "42568.75"},
		{kind: tIdent, pos: 60, text: "vbTextCompare"},
		{kind: tCompare, pos: 74, op: opNe},
		{kind: tCompare, pos: 77, op: opGe},
		{kind: tCompare, pos: 80, op: opLt},
		{kind: tCompare, pos: 82, op: opGt},
		{kind: tCompare, pos: 84, op: opEq},
		{kind: tCompare, pos: 86, op: opNe},
		{kind: tEOF, pos: 88},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(token{})); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}
