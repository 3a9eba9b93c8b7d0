package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the date/time forms CDate and the date functions accept,
// tried in order. A form without an offset is UTC.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02Z07:00",
	"2006-01-02",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006",
	"20060102150405Z07:00",
	"20060102150405.0Z07:00",
	"20060102",
}

// parseDate parses the date/time strings Entra's CDate accepts (ISO 8601
// with or without time and offset, and the M/d/yyyy h:mm:ss tt form it
// renders) into a UTC time.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date/time CDate understands (ISO 8601 such as 2020-03-16T07:00:00-07:00, or M/d/yyyy h:mm:ss tt)", s)
}

type interval uint8

const (
	ivYear interval = iota
	ivQuarter
	ivMonth
	ivDay
	ivWeek
	ivHour
	ivMinute
	ivSecond
)

func parseInterval(s string) (interval, bool) {
	switch s {
	case "yyyy":
		return ivYear, true
	case "q":
		return ivQuarter, true
	case "m":
		return ivMonth, true
	case "d", "y", "w":
		return ivDay, true
	case "ww":
		return ivWeek, true
	case "h":
		return ivHour, true
	case "n":
		return ivMinute, true
	case "s":
		return ivSecond, true
	}
	return 0, false
}

// addMonths adds n months the VB way: the day is clamped to the end of the
// target month (Jan 31 + 1 month = Feb 28 or 29).
func addMonths(t time.Time, n int64) (time.Time, error) {
	total := int64(t.Year())*12 + int64(t.Month()-1) + n
	y, m := total/12, time.Month(total%12+1)
	if y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("the result is outside years 1 to 9999")
	}
	d := t.Day()
	if last := daysIn(m, int(y)); d > last {
		d = last
	}
	return time.Date(int(y), m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func dateAdd(iv interval, n int64, t time.Time) (time.Time, error) {
	const maxUnits = 1 << 40
	if n > maxUnits || n < -maxUnits {
		return time.Time{}, fmt.Errorf("the number %d is out of range", n)
	}
	var out time.Time
	switch iv {
	case ivYear:
		return addMonths(t, n*12)
	case ivQuarter:
		return addMonths(t, n*3)
	case ivMonth:
		return addMonths(t, n)
	}
	var unit int64
	switch iv {
	case ivDay:
		unit = 86400
	case ivWeek:
		unit = 7 * 86400
	case ivHour:
		unit = 3600
	case ivMinute:
		unit = 60
	default:
		unit = 1
	}
	secs := n * unit
	out = time.Unix(t.Unix()+secs, int64(t.Nanosecond())).UTC()
	if out.Year() < 1 || out.Year() > 9999 {
		return time.Time{}, fmt.Errorf("the result is outside years 1 to 9999")
	}
	return out, nil
}

// dateDiff follows VB DateDiff: yyyy, q and m count calendar boundaries,
// ww counts week starts (Sundays) crossed, d, h, n and s truncate the
// elapsed time.
func dateDiff(iv interval, t1, t2 time.Time) int64 {
	t1, t2 = t1.UTC(), t2.UTC()
	switch iv {
	case ivYear:
		return int64(t2.Year() - t1.Year())
	case ivQuarter:
		return int64(t2.Year()-t1.Year())*4 + int64((int(t2.Month())-1)/3-(int(t1.Month())-1)/3)
	case ivMonth:
		return int64(t2.Year()-t1.Year())*12 + int64(t2.Month()-t1.Month())
	case ivWeek:
		w1 := dayNumber(t1) - int64(t1.Weekday())
		w2 := dayNumber(t2) - int64(t2.Weekday())
		return (w2 - w1) / 7
	}
	ns1 := timeToTicks(t1)
	ns2 := timeToTicks(t2)
	diff := ns2 - ns1 // ticks
	var unit int64
	switch iv {
	case ivDay:
		unit = 86400 * ticksPerSecond
	case ivHour:
		unit = 3600 * ticksPerSecond
	case ivMinute:
		unit = 60 * ticksPerSecond
	default:
		unit = ticksPerSecond
	}
	return diff / unit // Go division truncates toward zero, like Fix
}

func dayNumber(t time.Time) int64 {
	return (t.Unix() + unixEpochSeconds) / 86400
}

// ---- .NET custom date and time format strings ----

type fmtTokKind uint8

const (
	tkLiteral     fmtTokKind = iota
	tkYear                   // y, yy, yyy, yyyy, yyyyy
	tkMonth                  // M, MM (numbers), MMM, MMMM (names)
	tkDay                    // d, dd
	tkDayName                // ddd, dddd
	tkHour12                 // h, hh
	tkHour24                 // H, HH
	tkMinute                 // m, mm
	tkSecond                 // s, ss
	tkFraction               // f..fffffff (exact digits)
	tkFractionOpt            // F..FFFFFFF (trailing zeros dropped)
	tkAMPM                   // t, tt
	tkOffset                 // z, zz, zzz
	tkKind                   // K
	tkEra                    // g, gg
)

type fmtTok struct {
	kind fmtTokKind
	n    int    // repeat count
	lit  string // literal text
}

// standardFormats translates the .NET standard date/time formats that have
// a fixed invariant-culture pattern.
var standardFormats = map[string]string{
	"d": "MM/dd/yyyy", "D": "dddd, dd MMMM yyyy",
	"f": "dddd, dd MMMM yyyy HH:mm", "F": "dddd, dd MMMM yyyy HH:mm:ss",
	"g": "MM/dd/yyyy HH:mm", "G": "MM/dd/yyyy HH:mm:ss",
	"M": "MMMM dd", "m": "MMMM dd",
	"O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	"R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	"t": "HH:mm", "T": "HH:mm:ss",
	"u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'", "U": "dddd, dd MMMM yyyy HH:mm:ss",
	"Y": "yyyy MMMM", "y": "yyyy MMMM",
}

// parseDotNetFormat splits a .NET custom date/time format string into
// tokens. A single-character format is a standard format in .NET; the
// standard formats that have a fixed invariant pattern are translated,
// others are an error naming the format.
func parseDotNetFormat(f string) ([]fmtTok, error) {
	if f == "" {
		return nil, fmt.Errorf("empty date/time format")
	}
	if len(f) == 1 {
		std, ok := standardFormats[f]
		if !ok {
			return nil, fmt.Errorf("unsupported standard date/time format %q", f)
		}
		f = std
	}
	var toks []fmtTok
	addLit := func(s string) {
		if n := len(toks); n > 0 && toks[n-1].kind == tkLiteral {
			toks[n-1].lit += s
			return
		}
		toks = append(toks, fmtTok{kind: tkLiteral, lit: s})
	}
	for i := 0; i < len(f); {
		c := f[i]
		run := 1
		for i+run < len(f) && f[i+run] == c {
			run++
		}
		if lit, used, err := formatEscape(f, i); err != nil || used > 0 {
			if err != nil {
				return nil, err
			}
			addLit(lit)
			i += used
			continue
		}
		tk, used, err := formatField(f, c, run)
		if err != nil {
			return nil, err
		}
		if tk.kind == tkLiteral {
			addLit(tk.lit)
		} else {
			toks = append(toks, tk)
		}
		i += used
	}
	return toks, nil
}

// formatEscape reads a quoted literal, a backslash escape or a '%' at
// f[i]: the literal text and the bytes used (0 when f[i] is none of them).
func formatEscape(f string, i int) (string, int, error) {
	switch c := f[i]; c {
	case '\'', '"':
		end := strings.IndexByte(f[i+1:], c)
		if end < 0 {
			return "", 0, fmt.Errorf("date/time format %q: unterminated quoted literal", f)
		}
		return f[i+1 : i+1+end], end + 2, nil
	case '\\':
		if i+1 >= len(f) {
			return "", 0, fmt.Errorf("date/time format %q: trailing backslash", f)
		}
		return f[i+1 : i+2], 2, nil
	case '%':
		// %x: a single custom specifier; the % itself produces nothing.
		return "", 1, nil
	}
	return "", 0, nil
}

// formatField reads one specifier: c repeated run times. It returns the
// token and how many bytes it used.
func formatField(f string, c byte, run int) (fmtTok, int, error) {
	switch c {
	case 'y':
		return fmtTok{kind: tkYear, n: run}, run, nil
	case 'M':
		return fmtTok{kind: tkMonth, n: min(run, 4)}, run, nil
	case 'd':
		if run >= 3 {
			return fmtTok{kind: tkDayName, n: min(run, 4)}, run, nil
		}
		return fmtTok{kind: tkDay, n: run}, run, nil
	case 'h', 'H', 'm', 's', 't':
		kinds := map[byte]fmtTokKind{'h': tkHour12, 'H': tkHour24, 'm': tkMinute, 's': tkSecond, 't': tkAMPM}
		return fmtTok{kind: kinds[c], n: min(run, 2)}, run, nil
	case 'f', 'F':
		if run > 7 {
			return fmtTok{}, 0, fmt.Errorf("date/time format %q: more than 7 fraction digits", f)
		}
		if c == 'F' {
			return fmtTok{kind: tkFractionOpt, n: run}, run, nil
		}
		return fmtTok{kind: tkFraction, n: run}, run, nil
	case 'z':
		return fmtTok{kind: tkOffset, n: min(run, 3)}, run, nil
	case 'K':
		return fmtTok{kind: tkKind, n: 1}, 1, nil
	case 'g':
		return fmtTok{kind: tkEra, n: run}, run, nil
	}
	return fmtTok{kind: tkLiteral, lit: strings.Repeat(string(c), run)}, run, nil
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// formatDotNet renders t (in UTC) with a .NET custom format, invariant culture.
func formatDotNet(t time.Time, format string) (string, error) {
	toks, err := parseDotNetFormat(format)
	if err != nil {
		return "", err
	}
	t = t.UTC()
	var b strings.Builder
	for _, tk := range toks {
		formatToken(&b, t, tk)
	}
	return b.String(), nil
}

// pad writes v in decimal, zero-padded to width.
func pad(b *strings.Builder, v, width int) {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

// formatToken writes one token of a format for t.
func formatToken(b *strings.Builder, t time.Time, tk fmtTok) {
	switch tk.kind {
	case tkLiteral:
		b.WriteString(tk.lit)
	case tkYear:
		if tk.n <= 2 {
			pad(b, t.Year()%100, tk.n)
		} else {
			pad(b, t.Year(), tk.n)
		}
	case tkMonth:
		formatName(b, int(t.Month()), tk.n, monthNames[t.Month()-1])
	case tkDay:
		pad(b, t.Day(), tk.n)
	case tkDayName:
		formatName(b, 0, tk.n, dayNames[t.Weekday()])
	case tkHour12:
		pad(b, (t.Hour()+11)%12+1, tk.n)
	case tkHour24:
		pad(b, t.Hour(), tk.n)
	case tkMinute:
		pad(b, t.Minute(), tk.n)
	case tkSecond:
		pad(b, t.Second(), tk.n)
	case tkFraction, tkFractionOpt:
		formatFraction(b, t, tk)
	case tkAMPM:
		b.WriteString([]string{"AM", "PM"}[t.Hour()/12][:tk.n])
	case tkOffset:
		b.WriteString([]string{"", "+0", "+00", "+00:00"}[tk.n])
	case tkKind:
		b.WriteString("Z")
	case tkEra:
		b.WriteString("A.D.")
	}
}

// formatName writes a month or day: its number (n 1 or 2), its abbreviated
// name (n 3) or its full name (n 4). Day names have no number form.
func formatName(b *strings.Builder, num, n int, name string) {
	switch {
	case n <= 2:
		pad(b, num, n)
	case n == 3:
		b.WriteString(name[:3])
	default:
		b.WriteString(name)
	}
}

// formatFraction writes n digits of the fraction of a second; F drops
// trailing zeros, and the '.' before it when nothing is left.
func formatFraction(b *strings.Builder, t time.Time, tk fmtTok) {
	digits := fmt.Sprintf("%07d", t.Nanosecond()/100)[:tk.n]
	if tk.kind == tkFractionOpt {
		digits = strings.TrimRight(digits, "0")
		if s := b.String(); digits == "" && strings.HasSuffix(s, ".") {
			b.Reset()
			b.WriteString(s[:len(s)-1])
		}
	}
	b.WriteString(digits)
}

// dateParser is the state of one parseDotNet: the input, the position,
// and the fields read so far.
type dateParser struct {
	s, format, in string
	pos           int

	year, month, day, hour, minute, sec, nsec int
	pm, hasAMPM, hour12                       bool
	offset                                    int
	hasOffset                                 bool
}

// parseDotNet parses s with a .NET custom format (ParseExact, invariant
// culture, leading and trailing white space allowed). The result is in UTC:
// an offset in the input is applied, no offset means UTC.
func parseDotNet(s, format string) (time.Time, error) {
	toks, err := parseDotNetFormat(format)
	if err != nil {
		return time.Time{}, err
	}
	p := &dateParser{s: s, format: format, in: strings.TrimSpace(s), year: 1, month: 1, day: 1}
	for ti, tk := range toks {
		// A numeric field directly followed by another numeric field must
		// take exactly its width (yyyyMMdd).
		fixed := ti+1 < len(toks) && toks[ti+1].kind != tkLiteral
		if what := p.token(tk, fixed); what != "" {
			return p.fail(what)
		}
	}
	if p.pos != len(p.in) {
		return p.fail(fmt.Sprintf("unexpected %q", p.in[p.pos:]))
	}
	return p.time()
}

func (p *dateParser) fail(what string) (time.Time, error) {
	return time.Time{}, fmt.Errorf("%q does not match the date/time format %q (at %s)", p.s, p.format, what)
}

// digits reads between minN and maxN decimal digits.
func (p *dateParser) digits(minN, maxN int) (int, bool) {
	i := p.pos
	for i < len(p.in) && i-p.pos < maxN && p.in[i] >= '0' && p.in[i] <= '9' {
		i++
	}
	if i-p.pos < minN {
		return 0, false
	}
	v, _ := strconv.Atoi(p.in[p.pos:i])
	p.pos = i
	return v, true
}

// number reads a numeric field of n specifier letters and natural width
// (2 for everything but years): one letter reads one or two digits unless
// the next field follows directly.
func (p *dateParser) number(n, natural int, fixed bool) (int, bool) {
	if n >= 2 || fixed {
		return p.digits(max(n, natural), max(n, natural))
	}
	return p.digits(1, natural)
}

// token reads one token; it returns what did not match, or "".
func (p *dateParser) token(tk fmtTok, fixed bool) string {
	var ok bool
	switch tk.kind {
	case tkLiteral:
		if ok = strings.HasPrefix(p.in[p.pos:], tk.lit); ok {
			p.pos += len(tk.lit)
		}
		return failed(ok, fmt.Sprintf("literal %q", tk.lit))
	case tkYear:
		return failed(p.readYear(tk, fixed), "year")
	case tkMonth:
		if tk.n <= 2 {
			p.month, ok = p.number(tk.n, 2, fixed)
			return failed(ok, "month")
		}
		var i int
		i, ok = p.name(monthNames[:], tk.n)
		p.month = i + 1
		return failed(ok, "month name")
	case tkDay:
		p.day, ok = p.number(tk.n, 2, fixed)
		return failed(ok, "day")
	case tkDayName:
		_, ok = p.name(dayNames[:], tk.n)
		return failed(ok, "day name")
	case tkHour12, tkHour24:
		p.hour, ok = p.number(tk.n, 2, fixed)
		p.hour12 = tk.kind == tkHour12
		return failed(ok, "hour")
	case tkMinute:
		p.minute, ok = p.number(tk.n, 2, fixed)
		return failed(ok, "minute")
	case tkSecond:
		p.sec, ok = p.number(tk.n, 2, fixed)
		return failed(ok, "second")
	case tkFraction, tkFractionOpt:
		return failed(p.readFraction(tk), "fraction of a second")
	case tkAMPM:
		return failed(p.readAMPM(tk), "AM/PM designator")
	case tkOffset, tkKind:
		return p.readOffset(tk)
	case tkEra:
		for _, e := range []string{"A.D.", "AD"} {
			if strings.HasPrefix(p.in[p.pos:], e) {
				p.pos += len(e)
				break
			}
		}
	}
	return ""
}

// failed returns what when ok is false.
func failed(ok bool, what string) string {
	if ok {
		return ""
	}
	return what
}

// readYear reads y or yy (two digits: 00–49 are 20xx, 50–99 are 19xx) or
// yyy and longer (the year itself).
func (p *dateParser) readYear(tk fmtTok, fixed bool) bool {
	if tk.n > 2 {
		y, ok := p.digits(tk.n, max(tk.n, 4))
		p.year = y
		return ok
	}
	y, ok := p.number(tk.n, 2, fixed)
	switch {
	case y <= 49:
		p.year = 2000 + y
	case y < 100:
		p.year = 1900 + y
	default:
		p.year = y
	}
	return ok
}

// name reads a month or day name, abbreviated (n 3) or full, and returns
// its index.
func (p *dateParser) name(names []string, n int) (int, bool) {
	for i, name := range names {
		cand := name
		if n == 3 {
			cand = name[:3]
		}
		if len(p.in)-p.pos >= len(cand) && strings.EqualFold(p.in[p.pos:p.pos+len(cand)], cand) {
			p.pos += len(cand)
			return i, true
		}
	}
	return 0, false
}

func (p *dateParser) readFraction(tk fmtTok) bool {
	start := p.pos
	lo := tk.n
	if tk.kind == tkFractionOpt {
		lo = 0
	}
	if _, ok := p.digits(lo, tk.n); !ok {
		return false
	}
	frac := p.in[start:p.pos] + "000000000"
	p.nsec, _ = strconv.Atoi(frac[:9])
	return true
}

func (p *dateParser) readAMPM(tk fmtTok) bool {
	rest := strings.ToUpper(p.in[p.pos:])
	switch {
	case tk.n == 2 && strings.HasPrefix(rest, "AM"), tk.n == 1 && strings.HasPrefix(rest, "A"):
		p.pm = false
	case tk.n == 2 && strings.HasPrefix(rest, "PM"), tk.n == 1 && strings.HasPrefix(rest, "P"):
		p.pm = true
	default:
		return false
	}
	p.hasAMPM = true
	p.pos += tk.n
	return true
}

// readOffset reads z, zz, zzz (+h, +hh, +hh:mm) or K (Z, +hh:mm, or
// nothing for an unspecified kind).
func (p *dateParser) readOffset(tk fmtTok) string {
	in := p.in
	if tk.kind == tkKind && p.pos < len(in) && (in[p.pos] == 'Z' || in[p.pos] == 'z') {
		p.pos++
		p.offset, p.hasOffset = 0, true
		return ""
	}
	if p.pos >= len(in) || (in[p.pos] != '+' && in[p.pos] != '-') {
		return failed(tk.kind == tkKind, "offset")
	}
	sign := 1
	if in[p.pos] == '-' {
		sign = -1
	}
	p.pos++
	oh, ok := p.digits(1, 2)
	if !ok {
		return "offset hours"
	}
	var om int
	if tk.n == 3 || tk.kind == tkKind {
		if p.pos >= len(in) || in[p.pos] != ':' {
			return "offset ':'"
		}
		p.pos++
		if om, ok = p.digits(2, 2); !ok {
			return "offset minutes"
		}
	}
	p.offset, p.hasOffset = sign*(oh*3600+om*60), true
	return ""
}

// time checks the fields read and builds the instant, in UTC.
func (p *dateParser) time() (time.Time, error) {
	hour := p.hour
	if p.hasAMPM || p.hour12 {
		if (hour < 1 || hour > 12) && !(hour == 0 && !p.hour12) {
			return p.fail("hour out of range")
		}
		if p.pm && hour < 12 {
			hour += 12
		}
		if !p.pm && hour == 12 {
			hour = 0
		}
	}
	if p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysIn(time.Month(p.month), p.year) ||
		hour > 23 || p.minute > 59 || p.sec > 59 || p.year < 1 || p.year > 9999 {
		return p.fail("a field out of range")
	}
	t := time.Date(p.year, time.Month(p.month), p.day, hour, p.minute, p.sec, p.nsec, time.UTC)
	if p.hasOffset {
		t = t.Add(-time.Duration(p.offset) * time.Second)
	}
	return t, nil
}
