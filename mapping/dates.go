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

// parseDotNetFormat splits a .NET custom date/time format string into
// tokens. A single-character format is a standard format in .NET; the
// standard formats that have a fixed invariant pattern are translated,
// others are an error naming the format.
func parseDotNetFormat(f string) ([]fmtTok, error) {
	if f == "" {
		return nil, fmt.Errorf("empty date/time format")
	}
	if len(f) == 1 {
		switch f {
		case "d":
			f = "MM/dd/yyyy"
		case "D":
			f = "dddd, dd MMMM yyyy"
		case "f":
			f = "dddd, dd MMMM yyyy HH:mm"
		case "F":
			f = "dddd, dd MMMM yyyy HH:mm:ss"
		case "g":
			f = "MM/dd/yyyy HH:mm"
		case "G":
			f = "MM/dd/yyyy HH:mm:ss"
		case "M", "m":
			f = "MMMM dd"
		case "O", "o":
			f = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK"
		case "R", "r":
			f = "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'"
		case "s":
			f = "yyyy'-'MM'-'dd'T'HH':'mm':'ss"
		case "t":
			f = "HH:mm"
		case "T":
			f = "HH:mm:ss"
		case "u":
			f = "yyyy'-'MM'-'dd HH':'mm':'ss'Z'"
		case "U":
			f = "dddd, dd MMMM yyyy HH:mm:ss"
		case "Y", "y":
			f = "yyyy MMMM"
		default:
			return nil, fmt.Errorf("unsupported standard date/time format %q", f)
		}
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
		switch c {
		case 'y':
			toks = append(toks, fmtTok{kind: tkYear, n: run})
		case 'M':
			if run > 4 {
				run = 4
			}
			toks = append(toks, fmtTok{kind: tkMonth, n: run})
		case 'd':
			if run >= 3 {
				toks = append(toks, fmtTok{kind: tkDayName, n: min(run, 4)})
			} else {
				toks = append(toks, fmtTok{kind: tkDay, n: run})
			}
		case 'h':
			toks = append(toks, fmtTok{kind: tkHour12, n: min(run, 2)})
		case 'H':
			toks = append(toks, fmtTok{kind: tkHour24, n: min(run, 2)})
		case 'm':
			toks = append(toks, fmtTok{kind: tkMinute, n: min(run, 2)})
		case 's':
			toks = append(toks, fmtTok{kind: tkSecond, n: min(run, 2)})
		case 'f', 'F':
			if run > 7 {
				return nil, fmt.Errorf("date/time format %q: more than 7 fraction digits", f)
			}
			k := tkFraction
			if c == 'F' {
				k = tkFractionOpt
			}
			toks = append(toks, fmtTok{kind: k, n: run})
		case 't':
			toks = append(toks, fmtTok{kind: tkAMPM, n: min(run, 2)})
		case 'z':
			toks = append(toks, fmtTok{kind: tkOffset, n: min(run, 3)})
		case 'K':
			toks = append(toks, fmtTok{kind: tkKind, n: 1})
			run = 1
		case 'g':
			toks = append(toks, fmtTok{kind: tkEra, n: run})
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("date/time format %q: unterminated quoted literal", f)
			}
			addLit(f[i+1 : i+1+end])
			i += end + 2
			continue
		case '\\':
			if i+1 >= len(f) {
				return nil, fmt.Errorf("date/time format %q: trailing backslash", f)
			}
			addLit(f[i+1 : i+2])
			i += 2
			continue
		case '%':
			// %x: a single custom specifier; the % itself produces nothing.
			i++
			continue
		default:
			addLit(f[i : i+run])
		}
		i += run
	}
	return toks, nil
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
	pad := func(v, width int) {
		s := strconv.Itoa(v)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	for _, tk := range toks {
		switch tk.kind {
		case tkLiteral:
			b.WriteString(tk.lit)
		case tkYear:
			switch tk.n {
			case 1:
				pad(t.Year()%100, 1)
			case 2:
				pad(t.Year()%100, 2)
			default:
				pad(t.Year(), tk.n)
			}
		case tkMonth:
			switch tk.n {
			case 1, 2:
				pad(int(t.Month()), tk.n)
			case 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				b.WriteString(monthNames[t.Month()-1])
			}
		case tkDay:
			pad(t.Day(), tk.n)
		case tkDayName:
			if tk.n == 3 {
				b.WriteString(dayNames[t.Weekday()][:3])
			} else {
				b.WriteString(dayNames[t.Weekday()])
			}
		case tkHour12:
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h, tk.n)
		case tkHour24:
			pad(t.Hour(), tk.n)
		case tkMinute:
			pad(t.Minute(), tk.n)
		case tkSecond:
			pad(t.Second(), tk.n)
		case tkFraction, tkFractionOpt:
			digits := fmt.Sprintf("%07d", t.Nanosecond()/100)[:tk.n]
			if tk.kind == tkFractionOpt {
				digits = strings.TrimRight(digits, "0")
				if digits == "" {
					// .NET also drops a preceding '.' for F; keep it simple and exact for the common "F" cases.
					s := b.String()
					if strings.HasSuffix(s, ".") {
						b.Reset()
						b.WriteString(s[:len(s)-1])
					}
				}
			}
			b.WriteString(digits)
		case tkAMPM:
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:tk.n])
		case tkOffset:
			switch tk.n {
			case 1:
				b.WriteString("+0")
			case 2:
				b.WriteString("+00")
			default:
				b.WriteString("+00:00")
			}
		case tkKind:
			b.WriteString("Z")
		case tkEra:
			b.WriteString("A.D.")
		}
	}
	return b.String(), nil
}

// parseDotNet parses s with a .NET custom format (ParseExact, invariant
// culture, leading and trailing white space allowed). The result is in UTC:
// an offset in the input is applied, no offset means UTC.
func parseDotNet(s, format string) (time.Time, error) {
	toks, err := parseDotNetFormat(format)
	if err != nil {
		return time.Time{}, err
	}
	in := strings.TrimSpace(s)
	pos := 0
	year, month, day := 1, 1, 1
	hour, minute, sec, nsec := 0, 0, 0, 0
	pm, hasAMPM, hour12 := false, false, false
	offset, hasOffset := 0, false
	fail := func(what string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q does not match the date/time format %q (at %s)", s, format, what)
	}
	digits := func(minN, maxN int) (int, bool) {
		i := pos
		for i < len(in) && i-pos < maxN && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i-pos < minN {
			return 0, false
		}
		v, _ := strconv.Atoi(in[pos:i])
		pos = i
		return v, true
	}
	for ti, tk := range toks {
		// A numeric field directly followed by another numeric field must
		// take exactly its width (yyyyMMdd).
		fixed := ti+1 < len(toks) && toks[ti+1].kind != tkLiteral
		width := func(n, natural int) (int, int) {
			if n >= 2 || fixed {
				return max(n, natural), max(n, natural)
			}
			return 1, natural
		}
		var ok bool
		switch tk.kind {
		case tkLiteral:
			if !strings.HasPrefix(in[pos:], tk.lit) {
				return fail(fmt.Sprintf("literal %q", tk.lit))
			}
			pos += len(tk.lit)
			continue
		case tkYear:
			switch {
			case tk.n <= 2:
				var y int
				lo, hi := width(tk.n, 2)
				if y, ok = digits(lo, hi); !ok {
					return fail("year")
				}
				if y <= 49 {
					year = 2000 + y
				} else if y < 100 {
					year = 1900 + y
				} else {
					year = y
				}
			default:
				if year, ok = digits(tk.n, max(tk.n, 4)); !ok {
					return fail("year")
				}
			}
		case tkMonth:
			if tk.n <= 2 {
				lo, hi := width(tk.n, 2)
				if month, ok = digits(lo, hi); !ok {
					return fail("month")
				}
			} else {
				found := false
				for i, name := range monthNames {
					cand := name
					if tk.n == 3 {
						cand = name[:3]
					}
					if len(in)-pos >= len(cand) && strings.EqualFold(in[pos:pos+len(cand)], cand) {
						month, pos, found = i+1, pos+len(cand), true
						break
					}
				}
				if !found {
					return fail("month name")
				}
			}
		case tkDay:
			lo, hi := width(tk.n, 2)
			if day, ok = digits(lo, hi); !ok {
				return fail("day")
			}
		case tkDayName:
			found := false
			for _, name := range dayNames {
				cand := name
				if tk.n == 3 {
					cand = name[:3]
				}
				if len(in)-pos >= len(cand) && strings.EqualFold(in[pos:pos+len(cand)], cand) {
					pos += len(cand)
					found = true
					break
				}
			}
			if !found {
				return fail("day name")
			}
		case tkHour12, tkHour24:
			lo, hi := width(tk.n, 2)
			if hour, ok = digits(lo, hi); !ok {
				return fail("hour")
			}
			hour12 = tk.kind == tkHour12
		case tkMinute:
			lo, hi := width(tk.n, 2)
			if minute, ok = digits(lo, hi); !ok {
				return fail("minute")
			}
		case tkSecond:
			lo, hi := width(tk.n, 2)
			if sec, ok = digits(lo, hi); !ok {
				return fail("second")
			}
		case tkFraction, tkFractionOpt:
			start := pos
			lo := tk.n
			if tk.kind == tkFractionOpt {
				lo = 0
			}
			if _, ok = digits(lo, tk.n); !ok {
				return fail("fraction of a second")
			}
			frac := in[start:pos]
			for len(frac) < 9 {
				frac += "0"
			}
			nsec, _ = strconv.Atoi(frac[:9])
		case tkAMPM:
			rest := strings.ToUpper(in[pos:])
			switch {
			case tk.n == 2 && strings.HasPrefix(rest, "AM"), tk.n == 1 && strings.HasPrefix(rest, "A"):
				pm = false
			case tk.n == 2 && strings.HasPrefix(rest, "PM"), tk.n == 1 && strings.HasPrefix(rest, "P"):
				pm = true
			default:
				return fail("AM/PM designator")
			}
			hasAMPM = true
			pos += tk.n
		case tkOffset, tkKind:
			if tk.kind == tkKind && pos < len(in) && (in[pos] == 'Z' || in[pos] == 'z') {
				pos++
				hasOffset = true
				offset = 0
				continue
			}
			if pos >= len(in) || (in[pos] != '+' && in[pos] != '-') {
				if tk.kind == tkKind {
					continue // K matches nothing for an unspecified kind
				}
				return fail("offset")
			}
			sign := 1
			if in[pos] == '-' {
				sign = -1
			}
			pos++
			var oh, om int
			if oh, ok = digits(1, 2); !ok {
				return fail("offset hours")
			}
			if tk.n == 3 || tk.kind == tkKind {
				if pos >= len(in) || in[pos] != ':' {
					return fail("offset ':'")
				}
				pos++
				if om, ok = digits(2, 2); !ok {
					return fail("offset minutes")
				}
			}
			offset = sign * (oh*3600 + om*60)
			hasOffset = true
		case tkEra:
			for _, e := range []string{"A.D.", "AD"} {
				if strings.HasPrefix(in[pos:], e) {
					pos += len(e)
					break
				}
			}
		}
	}
	if pos != len(in) {
		return fail(fmt.Sprintf("unexpected %q", in[pos:]))
	}
	if hasAMPM || hour12 {
		if hour < 1 || hour > 12 {
			if !(hour == 0 && !hour12) {
				return fail("hour out of range")
			}
		}
		if pm && hour < 12 {
			hour += 12
		}
		if !pm && hour == 12 {
			hour = 0
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 || year < 1 || year > 9999 {
		return fail("a field out of range")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if hasOffset {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, nil
}
