package mapping

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func isCombining(r rune) bool { return r >= 0x0300 && r <= 0x036f }

// normalizeDiacritics applies Entra's NormalizeDiacritics table. Letters
// outside the table are kept as they are. Entries written in the table with
// combining marks are matched as written (NFC); a plain base letter of the
// table followed by combining marks (decomposed input such as "e\u0308")
// loses the marks.
func normalizeDiacritics(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		next, _ := utf8.DecodeRuneInString(s[i+size:])
		if isCombining(next) {
			matched := false
			for _, e := range diacriticSeqs {
				if strings.HasPrefix(s[i:], e.seq) {
					b.WriteString(e.repl)
					i += len(e.seq)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if r < utf8.RuneSelf && strings.IndexByte("acdegilnorstuyzACDEGILNORSTUYZ", byte(r)) >= 0 {
				b.WriteRune(r)
				i += size
				for i < len(s) {
					m, msize := utf8.DecodeRuneInString(s[i:])
					if !isCombining(m) {
						break
					}
					i += msize
				}
				continue
			}
		}
		if repl, ok := diacriticRune(r); ok {
			b.WriteString(repl)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isTitleSeparator reports the .NET TextInfo.ToTitleCase word separators:
// spaces, controls, format characters, punctuation and symbols.
func isTitleSeparator(r rune) bool {
	return unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf,
		unicode.Pc, unicode.Pd, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf, unicode.Po,
		unicode.Sm, unicode.Sc, unicode.Sk, unicode.So)
}

// pcase upper-cases the first letter of every word and lower-cases every
// other letter. With seps == "" (not given) words break as in .NET
// ToTitleCase; otherwise only the characters of seps break words.
func pcase(s string, seps string, custom bool) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		var sep bool
		if custom {
			sep = strings.ContainsRune(seps, r)
		} else {
			sep = isTitleSeparator(r)
		}
		switch {
		case sep:
			b.WriteRune(r)
			start = true
		case start:
			b.WriteRune(unicode.ToTitle(r))
			start = false
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// cultureCase is the case mapping of a culture name: Turkish and Azeri have
// their own dotted and dotless i; every other culture maps like the
// invariant culture.
func cultureCase(culture string) (unicode.SpecialCase, bool) {
	lang, _, _ := strings.Cut(strings.ToLower(culture), "-")
	switch lang {
	case "tr", "az":
		return unicode.TurkishCase, true
	}
	return nil, false
}

// validCulture accepts RFC 4646 style names: letters, digits, '-' and '_'.
func validCulture(c string) bool {
	if c == "" || len(c) > 85 {
		return false
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if !(ch == '-' || ch == '_' || isDigit(ch) || (ch|0x20 >= 'a' && ch|0x20 <= 'z')) {
			return false
		}
	}
	return true
}

// base64UTF16 is .NET Convert.ToBase64String(Encoding.Unicode.GetBytes(s)).
func base64UTF16(s string) string {
	units := utf16.Encode([]rune(s))
	buf := make([]byte, 2*len(units))
	for i, u := range units {
		buf[2*i] = byte(u)
		buf[2*i+1] = byte(u >> 8)
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// utf8HexUpper is the hex of the UTF-8 bytes with upper-case digits.
func utf8HexUpper(s string) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(s))
	for i := 0; i < len(s); i++ {
		out[2*i] = digits[s[i]>>4]
		out[2*i+1] = digits[s[i]&15]
	}
	return string(out)
}

// runeLen counts characters.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// runePrefix returns the first n characters of s (all of s if it is shorter).
func runePrefix(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// runeOffset returns the byte offset of the n-th (0-based) character, or
// len(s) when s has fewer characters.
func runeOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// instr returns the 1-based character position of sub in s at or after
// character start (1-based), or 0.
func instr(s, sub string, start int, fold bool) int {
	off := runeOffset(s, start-1)
	if off >= len(s) && sub != "" {
		return 0
	}
	if sub == "" {
		return start
	}
	if !fold {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return 0
		}
		return start + runeLen(s[off:off+i])
	}
	subLen := runeLen(sub)
	pos := start
	for i := off; i < len(s); {
		end := i + runeOffset(s[i:], subLen)
		if runeLen(s[i:end]) == subLen && strings.EqualFold(s[i:end], sub) {
			return pos
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		pos++
	}
	return 0
}

// word returns the n-th (1-based) word of s, where any character of delims
// separates words and empty words are skipped.
func word(s string, n int, delims string) string {
	if n < 1 {
		return ""
	}
	isDelim := func(r rune) bool { return strings.ContainsRune(delims, r) }
	count := 0
	inWord := false
	start := 0
	for i, r := range s {
		if isDelim(r) {
			if inWord {
				count++
				if count == n {
					return s[start:i]
				}
				inWord = false
			}
			continue
		}
		if !inWord {
			inWord = true
			start = i
		}
	}
	if inWord && count+1 == n {
		return s[start:]
	}
	return ""
}

// diacriticRune maps one precomposed letter of Entra's NormalizeDiacritics
// table to its replacement; ok is false for any other rune.
func diacriticRune(r rune) (string, bool) {
	switch r {
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Ā', 'Ă', 'Ą', 'Ǟ', 'Ǡ':
		return "A", true
	case 'Æ', 'Ǣ':
		return "AE", true
	case 'Ç', 'Ć', 'Č':
		return "C", true
	case 'Ď', 'Ḏ':
		return "D", true
	case 'È', 'É', 'Ê', 'Ë', 'Ē', 'Ė', 'Ę', 'Ě', 'Ḕ', 'Ḗ':
		return "E", true
	case 'Ğ', 'Ḡ':
		return "G", true
	case 'Ì', 'Í', 'Î', 'Ï', 'Ī', 'İ':
		return "I", true
	case 'Ľ', 'Ł', 'Ḹ', 'Ḻ':
		return "L", true
	case 'Ñ', 'Ń', 'Ň', 'Ṉ':
		return "N", true
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ō', 'Ő', 'Ǭ', 'Ȫ', 'Ȭ', 'Ȱ', 'Ṑ', 'Ṓ':
		return "O", true
	case 'Ø':
		return "OE", true
	case 'Ř', 'Ṝ', 'Ṟ':
		return "R", true
	case 'Ś', 'Ş', 'Š', 'Ș':
		return "S", true
	case 'Ť', 'Ț', 'Ṯ':
		return "T", true
	case 'Ù', 'Ú', 'Û', 'Ü', 'Ū', 'Ů', 'Ű', 'Ǖ', 'Ṻ':
		return "U", true
	case 'Ý', 'Ÿ', 'Ȳ':
		return "Y", true
	case 'Ź', 'Ż', 'Ž', 'Ẕ':
		return "Z", true
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą', 'ǟ', 'ǡ':
		return "a", true
	case 'æ', 'ǣ':
		return "ae", true
	case 'ç', 'ć', 'č':
		return "c", true
	case 'ď', 'ḏ':
		return "d", true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě', 'ḕ', 'ḗ':
		return "e", true
	case 'ğ', 'ḡ':
		return "g", true
	case 'ì', 'í', 'î', 'ï', 'ī', 'ı':
		return "i", true
	case 'ľ', 'ł', 'ḹ', 'ḻ':
		return "l", true
	case 'ñ', 'ń', 'ň', 'ṉ':
		return "n", true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ō', 'ő', 'ǭ', 'ȫ', 'ȭ', 'ȱ', 'ṑ', 'ṓ':
		return "o", true
	case 'ø':
		return "oe", true
	case 'ř', 'ṝ', 'ṟ':
		return "r", true
	case 'ś', 'ş', 'š', 'ș':
		return "s", true
	case 'ß':
		return "ss", true
	case 'ť', 'ț', 'ṯ':
		return "t", true
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ǖ', 'ṻ':
		return "u", true
	case 'ý', 'ÿ', 'ȳ':
		return "y", true
	case 'ź', 'ż', 'ž', 'ẕ':
		return "z", true
	}
	return "", false
}

// diacriticSeqs lists the table's entries written with combining marks
// (in NFC), longest first. Read-only.
var diacriticSeqs = [...]struct{ seq, repl string }{
	{"E\u030a\u0304", "E"},
	{"U\u0307\u0304", "U"},
	{"e\u030a\u0304", "e"},
	{"u\u0307\u0304", "u"},
	{"A\u0331", "A"},
	{"C\u0304", "C"},
	{"C\u0331", "C"},
	{"D\u0304", "D"},
	{"E\u0331", "E"},
	{"G\u0331", "G"},
	{"I\u0331", "I"},
	{"L\u0304", "L"},
	{"N\u0304", "N"},
	{"O\u0331", "O"},
	{"R\u0304", "R"},
	{"S\u0304", "S"},
	{"S\u0331", "S"},
	{"T\u0304", "T"},
	{"U\u0331", "U"},
	{"Y\u0331", "Y"},
	{"Z\u0304", "Z"},
	{"a\u0331", "a"},
	{"c\u0304", "c"},
	{"c\u0331", "c"},
	{"d\u0304", "d"},
	{"e\u0331", "e"},
	{"g\u0331", "g"},
	{"i\u0331", "i"},
	{"l\u0304", "l"},
	{"n\u0304", "n"},
	{"o\u0331", "o"},
	{"r\u0304", "r"},
	{"s\u0304", "s"},
	{"s\u0331", "s"},
	{"t\u0304", "t"},
	{"u\u0331", "u"},
	{"y\u0331", "y"},
	{"z\u0304", "z"},
	{"Å\u0304", "A"},
	{"Ê\u0304", "E"},
	{"Ë\u0304", "E"},
	{"Ø\u0304", "OE"},
	{"å\u0304", "a"},
	{"ê\u0304", "e"},
	{"ë\u0304", "e"},
	{"ø\u0304", "oe"},
	{"Ā\u0300", "A"},
	{"Ā\u0301", "A"},
	{"Ā\u0302", "A"},
	{"Ā\u0303", "A"},
	{"Ā\u0308", "A"},
	{"ā\u0300", "a"},
	{"ā\u0301", "a"},
	{"ā\u0302", "a"},
	{"ā\u0303", "a"},
	{"ā\u0308", "a"},
	{"Ē\u0302", "E"},
	{"Ē\u0303", "E"},
	{"ē\u0302", "e"},
	{"ē\u0303", "e"},
	{"Ī\u0300", "I"},
	{"Ī\u0301", "I"},
	{"Ī\u0302", "I"},
	{"Ī\u0303", "I"},
	{"ī\u0300", "i"},
	{"ī\u0301", "i"},
	{"ī\u0302", "i"},
	{"ī\u0303", "i"},
	{"Ō\u0302", "O"},
	{"Ō\u0303", "O"},
	{"Ō\u0308", "O"},
	{"ō\u0302", "o"},
	{"ō\u0303", "o"},
	{"ō\u0308", "o"},
	{"Œ\u0304", "OE"},
	{"œ\u0304", "oe"},
	{"Ū\u0300", "U"},
	{"Ū\u0301", "U"},
	{"Ū\u0302", "U"},
	{"Ū\u0303", "U"},
	{"ū\u0300", "u"},
	{"ū\u0301", "u"},
	{"ū\u0302", "u"},
	{"ū\u0303", "u"},
	{"Ȳ\u0300", "Y"},
	{"Ȳ\u0301", "Y"},
	{"Ȳ\u0303", "Y"},
	{"ȳ\u0300", "y"},
	{"ȳ\u0301", "y"},
	{"ȳ\u0303", "y"},
	{"Ṳ\u0304", "U"},
	{"ṳ\u0304", "u"},
}
