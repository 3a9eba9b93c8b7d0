package mapping

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzExpression shows that the parser and the evaluator never panic and
// never hang, whatever the expression text and the attribute values.
func FuzzExpression(f *testing.F) {
	for _, seed := range []string{
		`Append([userPrincipalName], ".test")`,
		`BitAnd(&HF, &HF7)`,
		`CBool([attribute1] = [attribute2])`,
		`CDate("2021-06-30+08:00")`,
		`Coalesce([mail],[userPrincipalName], "")`,
		`DateAdd("ww", 2, CDate([a]))`,
		`DateDiff("d", Now(), CDate([a]))`,
		`DateFromNum(129699324000000000)`,
		`FormatDateTime([a], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")`,
		`IIF(Len([a]) <= 5, Left(Join("",[a],[b]),10), Join("", Mid([a],1,9), Mid([b],1,1)))`,
		`InStr("repEated","e",3,vbBinaryCompare)`,
		`NormalizeDiacritics(PCase([a], " '-"))`,
		`Replace([a], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [b], )`,
		`Replace([a], ,"(?<n>^\\d*)","n", "888", , )`,
		`Replace([a],,"re",,"${id}",,)`,
		`Switch([a], , "1", "a", "", "empty")`,
		`Split(Join(",", [a], [b]), ",")`,
		`Word([a], 2, " ,")`,
		`ToUpper([a], "tr-TR")`,
		`RandomString(8,1,1,1,1,[b])`,
		`Redact(Guid())`,
		`NumFromDate([a])`,
		`Item(Split([a], " "), 2)`,
		`IgnoreFlowIfNullOrEmpty(StripSpaces([a]))`,
		`ConvertToBase64(ConvertToUTF8Hex([a]))`,
		`Not(IsPresent([a]))`,
		"Join (\"\"\n, [a] ,\t[b])",
		`"unterminated`,
		`Switch([a], "x")`,
	} {
		f.Add(seed, "Zoë Müller", "+91 9998887777")
	}
	ctx := context.Background()
	clock := WithClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	f.Fuzz(func(t *testing.T, expr, a, b string) {
		e, err := ParseExpression(expr)
		if err != nil {
			return
		}
		if e.String() != expr {
			t.Fatalf("String() = %q, want %q", e.String(), expr)
		}
		attrs := Attributes{"a": a, "b": b, "n": 12, "list": []string{a, b}}
		v1, err1 := e.Evaluate(ctx, attrs, clock, WithDefaultDomain("contoso.com"), WithRandom(rand.NewChaCha8([32]byte{7})))
		v2, err2 := e.Evaluate(ctx, attrs, clock, WithDefaultDomain("contoso.com"), WithRandom(rand.NewChaCha8([32]byte{7})))
		if (err1 == nil) != (err2 == nil) || !v1.Equal(v2) {
			t.Fatalf("evaluation is not deterministic: %v %v / %v %v", v1, err1, v2, err2)
		}
		_ = v1.String()
		_ = v1.Strings()
		_ = v1.logString()
	})
}

// FuzzParseSet shows that reading mapping files and Entra schemas never
// panics, whatever the bytes.
func FuzzParseSet(f *testing.F) {
	f.Add([]byte(handWritten))
	f.Add([]byte(`{"mappings":[{"target":"userName","direct":"upn","match":1}],"scope":[[{"attribute":"a","operator":"IS NULL"}]]}`))
	f.Add([]byte(`{"synchronizationRules":[{"objectMappings":[{"name":"U","sourceObjectName":"User","attributeMappings":[{"targetAttributeName":"userName","matchingPriority":1,"source":{"type":"Attribute","name":"upn"}}]}]}]}`))
	f.Add([]byte("mappings:\n  - &a {target: userName, direct: x, match: 1}\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSet(data); err == nil {
			if _, err := s.Map(context.Background(), Attributes{"upn": "u", "x": "v"}); err != nil {
				_ = err.Error()
			}
			if _, err := s.EncodeYAML(); err != nil {
				t.Fatalf("a loaded set does not encode: %v", err)
			}
		}
		if sets, err := ImportEntraSchema(data); err == nil {
			for _, s := range sets {
				_, _ = s.InScope(Attributes{})
			}
		}
	})
}
