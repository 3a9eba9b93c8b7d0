package mapping

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// function is one row of the expression language: the name as documented
// (case-sensitive), how many arguments it takes, which leading arguments
// must not be omitted, an optional static check run by the parser, and the
// evaluation. Adding a function is adding one row to [functionTable].
type function struct {
	name     string
	min, max int    // argument counts; max -1: no upper bound
	even     bool   // the count must be even (Switch)
	required string // one byte per leading argument: 'r' required, '-' optional
	check    func(p *parser, n *node, depth int) error
	eval     func(ev evaluator, n *node) (Value, error)
}

// functionTable returns every function of Microsoft's reference, plus
// AssertiveAppRoleAssignmentsComplex (the role function Entra offers for
// SCIM apps that replace roles), in the order of the reference. It builds
// a fresh table on each call, so no package state is shared; the parser
// holds one table per parse.
//
// Reference: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data
func functionTable() []function {
	return []function{
		{name: "Append", min: 2, max: 2, required: "r-", eval: evalAppend},
		{name: "AppRoleAssignmentsComplex", min: 1, max: 1, required: "r", eval: evalRoles},
		{name: "AssertiveAppRoleAssignmentsComplex", min: 1, max: 1, required: "r", eval: evalRoles},
		{name: "BitAnd", min: 2, max: 2, required: "rr", eval: evalBitAnd},
		{name: "CBool", min: 1, max: 1, required: "r", eval: evalCBool},
		{name: "CDate", min: 1, max: 1, required: "r", check: checkCDate, eval: evalCDate},
		{name: "Coalesce", min: 1, max: -1, eval: evalCoalesce},
		{name: "ConvertToBase64", min: 1, max: 1, required: "r", eval: stringFunc(base64UTF16)},
		{name: "ConvertToUTF8Hex", min: 1, max: 1, required: "r", eval: stringFunc(utf8HexUpper)},
		{name: "Count", min: 1, max: 1, required: "r", eval: evalCount},
		{name: "CStr", min: 1, max: 1, required: "r", eval: evalCStr},
		{name: "DateAdd", min: 3, max: 3, required: "rrr", check: checkInterval, eval: evalDateAdd},
		{name: "DateDiff", min: 3, max: 3, required: "rrr", check: checkInterval, eval: evalDateDiff},
		{name: "DateFromNum", min: 1, max: 1, required: "r", eval: evalDateFromNum},
		{name: "DefaultDomain", eval: evalDefaultDomain},
		{name: "FormatDateTime", min: 3, max: 4, check: checkFormatDateTime, eval: evalFormatDateTime},
		{name: "Guid", eval: evalGuid},
		{name: "IgnoreFlowIfNullOrEmpty", min: 1, max: 1, required: "r", eval: evalIgnoreFlow},
		{name: "IIF", min: 3, max: 3, required: "r--", check: checkIIF, eval: evalIIF},
		{name: "InStr", min: 2, max: 4, required: "rr--", check: checkInStr, eval: evalInStr},
		{name: "IsNull", min: 1, max: 1, required: "r", eval: evalIsNull},
		{name: "IsNullOrEmpty", min: 1, max: 1, required: "r", eval: evalIsEmpty(true)},
		{name: "IsPresent", min: 1, max: 1, required: "r", eval: evalIsEmpty(false)},
		{name: "IsString", min: 1, max: 1, required: "r", eval: evalIsString},
		{name: "Item", min: 2, max: 2, required: "rr", eval: evalItem},
		{name: "Join", min: 2, max: -1, eval: evalJoin},
		{name: "Left", min: 2, max: 2, required: "rr", eval: evalLeft},
		{name: "Len", min: 1, max: 1, required: "r", eval: evalLen},
		{name: "Mid", min: 3, max: 3, required: "rrr", eval: evalMid},
		{name: "NormalizeDiacritics", min: 1, max: 1, required: "r", eval: eachString(normalizeDiacritics)},
		{name: "Not", min: 1, max: 1, required: "r", eval: evalNot},
		{name: "Now", eval: evalNow},
		{name: "NumFromDate", min: 1, max: 1, required: "r", eval: evalNumFromDate},
		{name: "PCase", min: 1, max: 2, required: "r-", eval: evalPCase},
		{name: "RandomString", min: 5, max: 6, required: "rrrrr-", eval: evalRandomString},
		{name: "Redact", min: 1, max: 1, required: "r", eval: evalRedact},
		{name: "RemoveDuplicates", min: 1, max: 1, required: "r", eval: evalRemoveDuplicates},
		{name: "Replace", min: 7, max: 7, required: "r", check: checkReplace, eval: evalReplace},
		{name: "SelectUniqueValue", min: 2, max: -1, check: checkOutermost, eval: evalSelectUniqueValue},
		{name: "SingleAppRoleAssignment", min: 1, max: 1, required: "r", eval: evalSingleRole},
		{name: "Split", min: 2, max: 2, required: "rr", eval: evalSplit},
		{name: "StripSpaces", min: 1, max: 1, required: "r", eval: eachString(stripSpaces)},
		{name: "Switch", min: 4, max: -1, even: true, required: "r", eval: evalSwitch},
		{name: "ToLower", min: 1, max: 2, required: "r-", check: checkCulture, eval: changeCase(false)},
		{name: "ToUpper", min: 1, max: 2, required: "r-", check: checkCulture, eval: changeCase(true)},
		{name: "Word", min: 3, max: 3, required: "rrr", eval: evalWord},
	}
}

// lookupFunction finds a function by its exact, case-sensitive name.
func lookupFunction(table []function, name string) (*function, bool) {
	for i := range table {
		if table[i].name == name {
			return &table[i], true
		}
	}
	return nil, false
}

// Functions returns the names of every function the expression language
// offers, in the order of the function reference.
func functionNames() []string {
	table := functionTable()
	out := make([]string, len(table))
	for i, f := range table {
		out[i] = f.name
	}
	return out
}

// ---- static checks ----

// checkArity applies the rules every row states: the argument count and
// the arguments that must not be omitted.
func (f *function) checkArity(p *parser, n *node) error {
	argc := len(n.args)
	switch {
	case f.max >= 0 && f.min == f.max && argc != f.min:
		return p.errAt(n.pos, fmt.Sprintf("%s takes %s, got %d", f.name, plural(f.min, "argument"), argc))
	case argc < f.min:
		return p.errAt(n.pos, fmt.Sprintf("%s takes at least %s, got %d", f.name, plural(f.min, "argument"), argc))
	case f.max >= 0 && argc > f.max:
		return p.errAt(n.pos, fmt.Sprintf("%s takes at most %s, got %d", f.name, plural(f.max, "argument"), argc))
	}
	if f.even && argc%2 != 0 {
		return p.errAt(n.pos, fmt.Sprintf("%s takes an even number of arguments (source, default, then key/value pairs), got %d", f.name, argc))
	}
	for i, a := range n.args {
		if a.kind == nOmitted && i < len(f.required) && f.required[i] == 'r' {
			return p.errAt(a.pos, fmt.Sprintf("argument %d of %s is required", i+1, f.name))
		}
		if a.kind == nIdent && (a.name == identTextCompare || a.name == identBinaryCompare) && !(f.name == "InStr" && i == 3) {
			return p.errAt(a.pos, fmt.Sprintf("%s can only be the 4th argument of InStr", a.name))
		}
	}
	return nil
}

func checkOutermost(p *parser, n *node, depth int) error {
	if depth > 0 {
		return p.errAt(n.pos, n.name+" must be the outermost function; it cannot be nested")
	}
	return nil
}

func checkIIF(p *parser, n *node, _ int) error {
	if c := n.args[0]; c.kind == nCall && c.name == "IgnoreFlowIfNullOrEmpty" {
		return p.errAt(c.pos, "IgnoreFlowIfNullOrEmpty cannot be the condition of IIF; wrap the whole IIF instead")
	}
	return nil
}

func checkInterval(p *parser, n *node, _ int) error {
	if a := n.args[0]; a.kind == nLiteral && a.val.kind == KindString {
		if _, ok := parseInterval(a.val.s); !ok {
			return p.errAt(a.pos, fmt.Sprintf("%s: unknown interval %q (use yyyy, m, d, ww, h, n or s)", n.name, a.val.s))
		}
	}
	return nil
}

func checkReplace(p *parser, n *node, _ int) error {
	mode, err := replaceModeOf(n.args)
	if err != nil {
		return p.errAt(n.pos, "Replace: "+err.Error())
	}
	n.mode = mode
	a := n.args[2]
	if a.kind != nLiteral {
		return nil
	}
	if *p.regexes++; *p.regexes > maxRegexes {
		return p.errAt(a.pos, fmt.Sprintf("Replace: more than %d regular expressions in one set; each costs memory to compile", maxRegexes))
	}
	re, err := compileRegex(a.val.String(), p.regexTimeout)
	if err != nil {
		return p.errAt(a.pos, fmt.Sprintf("Replace: invalid regular expression: %v", err))
	}
	n.re = re
	if g := n.args[3]; g.kind == nLiteral && re.GroupNumberFromName(g.val.String()) < 0 {
		return p.errAt(g.pos, fmt.Sprintf("Replace: the regular expression has no group named %q", g.val.String()))
	}
	return nil
}

func checkFormatDateTime(p *parser, n *node, _ int) error {
	if len(n.args) == 4 {
		if a := n.args[1]; a.kind == nLiteral {
			if err := checkDateTimeStyles(a.val.String()); err != nil {
				return p.errAt(a.pos, "FormatDateTime: "+err.Error())
			}
		}
	}
	for _, a := range n.args[len(n.args)-2:] {
		if a.kind == nLiteral {
			if _, err := parseDotNetFormat(a.val.String()); err != nil {
				return p.errAt(a.pos, "FormatDateTime: "+err.Error())
			}
		}
	}
	return nil
}

func checkCDate(p *parser, n *node, _ int) error {
	if a := n.args[0]; a.kind == nLiteral && a.val.kind == KindString {
		if _, err := parseDate(a.val.s); err != nil {
			return p.errAt(a.pos, "CDate: "+err.Error())
		}
	}
	return nil
}

func checkCulture(p *parser, n *node, _ int) error {
	if len(n.args) == 2 {
		if a := n.args[1]; a.kind == nLiteral && a.val.String() != "" && !validCulture(a.val.String()) {
			return p.errAt(a.pos, fmt.Sprintf("%s: %q is not a culture name such as en-US or tr-TR", n.name, a.val.String()))
		}
	}
	return nil
}

func checkInStr(p *parser, n *node, _ int) error {
	if len(n.args) == 4 {
		if a := n.args[3]; a.kind != nIdent && a.kind != nOmitted && a.kind != nLiteral {
			return p.errAt(a.pos, "the 4th argument of InStr must be vbTextCompare or vbBinaryCompare")
		}
		if a := n.args[3]; a.kind == nIdent && a.name != identTextCompare && a.name != identBinaryCompare {
			return p.errAt(a.pos, "the 4th argument of InStr must be vbTextCompare or vbBinaryCompare")
		}
	}
	return nil
}

// ---- evaluation: text ----

// stringFunc applies f to the text of a single-valued argument; NULL stays NULL.
func stringFunc(f func(string) string) func(evaluator, *node) (Value, error) {
	return func(ev evaluator, n *node) (Value, error) {
		v, err := ev.arg(n, 0)
		if err != nil || v.kind == KindNull {
			return Value{}, err
		}
		return stringValue(f(single(v))), nil
	}
}

// eachString applies f to every value of the argument; NULL stays NULL.
func eachString(f func(string) string) func(evaluator, *node) (Value, error) {
	return func(ev evaluator, n *node) (Value, error) { return ev.mapString(n, f) }
}

func stripSpaces(s string) string { return strings.ReplaceAll(s, " ", "") }

func evalAppend(ev evaluator, n *node) (Value, error) {
	src, err := ev.arg(n, 0)
	if err != nil || src.kind == KindNull {
		return Value{}, err
	}
	suf, err := ev.arg(n, 1)
	if err != nil {
		return Value{}, err
	}
	a, b := single(src), single(suf)
	if err := ev.checkLen(n, len(a)+len(b)); err != nil {
		return Value{}, err
	}
	return stringValue(a + b), nil
}

func evalCStr(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	if v.kind == KindString {
		return v, nil
	}
	return Value{kind: KindString, s: single(v), redacted: v.redacted}, nil
}

func evalLeft(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	k, err := ev.intArg(n, 1, "NumChars")
	if err != nil {
		return Value{}, err
	}
	if v.kind == KindNull {
		return stringValue(""), nil
	}
	s := single(v)
	if k < 0 {
		return stringValue(s), nil
	}
	return stringValue(runePrefix(s, int(min(k, math.MaxInt32)))), nil
}

func evalLen(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	if v.kind == KindNull {
		return intValue(0), nil
	}
	return intValue(int64(runeLen(single(v)))), nil
}

func evalMid(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	start, err := ev.intArg(n, 1, "start")
	if err != nil {
		return Value{}, err
	}
	length, err := ev.intArg(n, 2, "length")
	if err != nil {
		return Value{}, err
	}
	if start < 1 {
		return Value{}, ev.badArg(n, "start %d: positions start at 1", start)
	}
	if length < 0 {
		return Value{}, ev.badArg(n, "length %d is negative", length)
	}
	if v.kind == KindNull {
		return Value{}, nil
	}
	s := single(v)
	from := runeOffset(s, int(min(start-1, math.MaxInt32)))
	return stringValue(runePrefix(s[from:], int(min(length, math.MaxInt32)))), nil
}

func evalPCase(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	seps, custom := "", false
	if len(n.args) > 1 && n.args[1].kind != nOmitted {
		sv, err := ev.arg(n, 1)
		if err != nil {
			return Value{}, err
		}
		if sv.kind != KindNull {
			seps, custom = single(sv), true
		}
	}
	return stringValue(pcase(single(v), seps, custom)).withRedacted(v.redacted), nil
}

func evalSplit(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	d, err := ev.arg(n, 1)
	if err != nil {
		return Value{}, err
	}
	s := single(v)
	if s == "" {
		return Value{}, nil
	}
	sep := single(d)
	if sep == "" {
		return multiValue([]string{s}).withRedacted(v.redacted), nil
	}
	return multiValue(strings.Split(s, sep)).withRedacted(v.redacted), nil
}

func evalWord(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	k, err := ev.intArg(n, 1, "WordNumber")
	if err != nil {
		return Value{}, err
	}
	d, err := ev.arg(n, 2)
	if err != nil {
		return Value{}, err
	}
	if v.kind == KindNull || k < 1 || k > math.MaxInt32 {
		return stringValue(""), nil
	}
	return stringValue(word(single(v), int(k), single(d))), nil
}

func evalRedact(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	return v.withRedacted(true), nil
}

// ---- evaluation: logic and tests ----

func evalCBool(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	return boolValue(v.truthy()), nil
}

func evalNot(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	b, ok := v.asBool()
	return boolValue(!(ok && b)), nil
}

func evalIIF(ev evaluator, n *node) (Value, error) {
	c, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	if c.truthy() {
		return ev.arg(n, 1)
	}
	return ev.arg(n, 2)
}

func evalCoalesce(ev evaluator, n *node) (Value, error) {
	for i := range n.args {
		v, err := ev.arg(n, i)
		if err != nil || v.kind != KindNull {
			return v, err
		}
	}
	return Value{}, nil
}

func evalSwitch(ev evaluator, n *node) (Value, error) {
	src, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	s := single(src)
	for i := 2; i+1 < len(n.args); i += 2 {
		k, err := ev.arg(n, i)
		if err != nil {
			return Value{}, err
		}
		if single(k) == s {
			return ev.arg(n, i+1)
		}
	}
	return ev.arg(n, 1)
}

func evalIgnoreFlow(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.isEmpty() {
		return Value{}, err
	}
	return v, nil
}

func evalIsNull(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	return boolValue(v.kind == KindNull), nil
}

// evalIsEmpty is IsNullOrEmpty (empty true) and IsPresent (empty false).
func evalIsEmpty(want bool) func(evaluator, *node) (Value, error) {
	return func(ev evaluator, n *node) (Value, error) {
		v, err := ev.arg(n, 0)
		if err != nil {
			return Value{}, err
		}
		return boolValue(v.isEmpty() == want), nil
	}
}

func evalIsString(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	return boolValue(v.kind == KindString), nil
}

func evalBitAnd(ev evaluator, n *node) (Value, error) {
	a, err := ev.intArg(n, 0, "value1")
	if err != nil {
		return Value{}, err
	}
	b, err := ev.intArg(n, 1, "value2")
	if err != nil {
		return Value{}, err
	}
	return intValue(a & b), nil
}

// ---- evaluation: multi-valued attributes and roles ----

func evalRoles(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	return multiValue(v.Strings()), nil
}

func evalSingleRole(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	return stringValue(v.String()).withRedacted(v.redacted), nil
}

func evalCount(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	return intValue(int64(v.Len())), nil
}

func evalItem(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	idx, err := ev.intArg(n, 1, "index")
	if err != nil {
		return Value{}, err
	}
	if idx < 1 || idx > int64(v.Len()) {
		return Value{}, nil
	}
	if v.kind == KindMulti {
		return stringValue(v.list[idx-1]).withRedacted(v.redacted), nil
	}
	return v, nil
}

func evalRemoveDuplicates(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind != KindMulti {
		return v, err
	}
	return multiValue(dedupe(v.list)).withRedacted(v.redacted), nil
}

// ---- evaluation: environment ----

func evalDefaultDomain(ev evaluator, n *node) (Value, error) {
	if !ev.cfg.hasDomain {
		return Value{}, ev.fail(n, ErrNoDefaultDomain)
	}
	return stringValue(ev.cfg.domain), nil
}

func evalNow(ev evaluator, _ *node) (Value, error) {
	now := cmpOrClock(ev.cfg.now)
	return timeValue(now()), nil
}

func cmpOrClock(now func() time.Time) func() time.Time {
	if now != nil {
		return now
	}
	return time.Now
}

func evalGuid(ev evaluator, n *node) (Value, error) {
	var b [16]byte
	if err := ev.readRandom(b[:]); err != nil {
		return Value{}, ev.fail(n, err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return stringValue(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])), nil
}

func evalSelectUniqueValue(ev evaluator, n *node) (Value, error) {
	if ev.cfg.taken == nil {
		return Value{}, ev.fail(n, ErrNoUniqueCheck)
	}
	for i := range n.args {
		v, err := ev.arg(n, i)
		if err != nil {
			return Value{}, err
		}
		if v.isEmpty() {
			continue
		}
		if err := ev.ctx.Err(); err != nil {
			return Value{}, err
		}
		taken, err := ev.cfg.taken(ev.ctx, single(v))
		if err != nil {
			return Value{}, ev.fail(n, fmt.Errorf("uniqueness check of %q: %w", single(v), err))
		}
		if !taken {
			return v, nil
		}
	}
	return Value{}, ev.fail(n, ErrNoUniqueValue)
}

// ---- evaluation: dates ----

func evalCDate(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	t, err := ev.timeOf(n, v, "expression")
	if err != nil {
		return Value{}, err
	}
	return timeValue(t), nil
}

func evalDateAdd(ev evaluator, n *node) (Value, error) {
	iv, t, err := ev.intervalAndTime(n, 2)
	if err != nil || t == nil {
		return Value{}, err
	}
	k, err := ev.intArg(n, 1, "value")
	if err != nil {
		return Value{}, err
	}
	out, err := dateAdd(iv, k, *t)
	if err != nil {
		return Value{}, ev.badArg(n, "%v", err)
	}
	return timeValue(out), nil
}

func evalDateDiff(ev evaluator, n *node) (Value, error) {
	ivv, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	iv, ok := parseInterval(ivv.String())
	if !ok {
		return Value{}, ev.badArg(n, "unknown interval %q (use yyyy, m, d, ww, h, n or s)", ivv.String())
	}
	a, err := ev.arg(n, 1)
	if err != nil {
		return Value{}, err
	}
	b, err := ev.arg(n, 2)
	if err != nil || a.kind == KindNull || b.kind == KindNull {
		return Value{}, err
	}
	t1, err := ev.timeOf(n, a, "date1")
	if err != nil {
		return Value{}, err
	}
	t2, err := ev.timeOf(n, b, "date2")
	if err != nil {
		return Value{}, err
	}
	return intValue(dateDiff(iv, t1, t2)), nil
}

func evalDateFromNum(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	num, ok := v.asInt()
	if !ok {
		return Value{}, ev.badArg(n, "%q is not an AD large-integer date", v.String())
	}
	if num < 0 || num > maxTicks-fileTimeEpoch {
		return Value{}, ev.badArg(n, "%d is outside the dates a DateTime can hold", num)
	}
	return Value{kind: KindDateTime, n: num + fileTimeEpoch}, nil
}

func evalNumFromDate(ev evaluator, n *node) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	t, err := ev.timeOf(n, v, "value")
	if err != nil {
		return Value{}, err
	}
	ticks := timeToTicks(t)
	if ticks < fileTimeEpoch {
		return Value{}, ev.badArg(n, "%s is before 1601, which AD dates cannot hold", v.String())
	}
	return intValue(ticks - fileTimeEpoch), nil
}
