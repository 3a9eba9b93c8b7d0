package mapping

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dlclark/regexp2/v2"
)

// Attributes are the attributes of one source object, by name (names are
// matched exactly, as Entra's expression syntax is case-sensitive). Values
// may be string, bool, any Go integer, float32/float64, json.Number,
// time.Time, []string or []any; nil or an absent key is NULL.
type Attributes map[string]any

// Errors of evaluation, matched with errors.Is.
var (
	// ErrNoDefaultDomain: DefaultDomain() was called but no domain was given
	// with [WithDefaultDomain].
	ErrNoDefaultDomain = errors.New("mapping: DefaultDomain: no default verified domain configured (use WithDefaultDomain)")
	// ErrNoUniqueCheck: SelectUniqueValue was evaluated without [WithUniqueCheck].
	ErrNoUniqueCheck = errors.New("mapping: SelectUniqueValue needs a uniqueness check (use WithUniqueCheck)")
	// ErrNoUniqueValue: every candidate of SelectUniqueValue is taken; the
	// object should be retried in a later cycle (Entra escrows it).
	ErrNoUniqueValue = errors.New("mapping: SelectUniqueValue: every candidate value is already taken")
	// ErrIgnoreObjectFlow: the expression evaluated IgnoreObjectFlow; the
	// object must not be provisioned in this cycle.
	ErrIgnoreObjectFlow = errors.New("mapping: IgnoreObjectFlow: the object is skipped")
	// ErrBadAttribute: a source attribute holds a Go type the language cannot use.
	ErrBadAttribute = errors.New("mapping: unsupported attribute value")
	// ErrBadArgument: a function got an argument it cannot use (a word where
	// a number is needed, an unparsable date, a bad regular expression…).
	ErrBadArgument = errors.New("mapping: bad function argument")
)

// EvalError is a failure while evaluating an expression: the function (or
// attribute) that failed, its byte offset in the expression text, and the
// cause, which matches the Err* variables with errors.Is.
type EvalError struct {
	Function string
	Offset   int
	Err      error
}

// Error describes the failure.
func (e *EvalError) Error() string {
	return fmt.Sprintf("mapping: evaluating %s (offset %d): %s", e.Function, e.Offset, causeText(e.Err))
}

// Unwrap returns the cause.
func (e *EvalError) Unwrap() error { return e.Err }

// MaxValueSize is the most bytes one expression may produce as one value
// (the sum of the texts, for a multi-valued result), and so the most any
// function inside it may build. A larger result fails that object's
// evaluation with [ErrValueTooLarge] instead of exhausting memory: a few
// nested Replace calls can otherwise grow a short value exponentially.
const MaxValueSize = 64 << 10

// ErrValueTooLarge matches an evaluation whose result, or a step of it,
// would be larger than [MaxValueSize].
var ErrValueTooLarge = errors.New("mapping: value too large")

func (ev *evaluator) maxValue() int { return cmp.Or(ev.cfg.maxValue, MaxValueSize) }

// checkLen fails when a result of size bytes would pass the value limit.
func (ev *evaluator) checkLen(n *node, size int) error {
	if size > ev.maxValue() || size < 0 {
		return ev.fail(n, fmt.Errorf("%w: the result would be %d bytes; at most %d are allowed", ErrValueTooLarge, size, ev.maxValue()))
	}
	return nil
}

// checkSize fails when a function's result is larger than the value limit.
func (ev *evaluator) checkSize(n *node, v Value) error {
	switch v.kind {
	case KindString:
		return ev.checkLen(n, len(v.s))
	case KindMulti:
		size := 0
		for _, s := range v.list {
			size += len(s)
		}
		return ev.checkLen(n, size)
	}
	return nil
}

// causeText is the text of a wrapped cause without the package prefix its
// wrapper already prints, so that a message says "mapping:" once.
func causeText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return strings.TrimPrefix(err.Error(), "mapping: ")
}

type optKind uint8

const (
	optDomain optKind = iota + 1
	optUnique
	optClock
	optRandom
)

// EvalOption configures one evaluation. Options are plain values: passing
// them costs no allocation.
type EvalOption struct {
	kind   optKind
	domain string
	taken  func(ctx context.Context, value string) (bool, error)
	now    func() time.Time
	random io.Reader
}

// WithDefaultDomain sets what DefaultDomain() returns: the tenant's default
// verified domain, such as "contoso.com".
func WithDefaultDomain(domain string) EvalOption {
	return EvalOption{kind: optDomain, domain: domain}
}

// WithUniqueCheck supplies SelectUniqueValue's uniqueness check: taken
// reports whether value is already used in the target.
func WithUniqueCheck(taken func(ctx context.Context, value string) (bool, error)) EvalOption {
	return EvalOption{kind: optUnique, taken: taken}
}

// WithClock sets the clock Now() reads (default time.Now).
func WithClock(now func() time.Time) EvalOption {
	return EvalOption{kind: optClock, now: now}
}

// WithRandom sets the randomness Guid() and RandomString() read (default
// crypto/rand). Tests pass a seeded source for repeatable results.
func WithRandom(r io.Reader) EvalOption {
	return EvalOption{kind: optRandom, random: r}
}

type evalConfig struct {
	maxValue     int           // 0: MaxValueSize
	regexTimeout time.Duration // 0: DefaultRegexTimeout; for patterns built at evaluation
	domain       string
	hasDomain    bool
	taken        func(ctx context.Context, value string) (bool, error)
	now          func() time.Time
	random       io.Reader
}

func (c *evalConfig) apply(opts []EvalOption) error {
	for _, o := range opts {
		switch o.kind {
		case optDomain:
			d := strings.TrimSpace(o.domain)
			if d == "" || strings.ContainsAny(d, " @/\\\"") {
				return fmt.Errorf("mapping: WithDefaultDomain: %q is not a domain name", o.domain)
			}
			c.domain, c.hasDomain = d, true
		case optUnique:
			if o.taken == nil {
				return errors.New("mapping: WithUniqueCheck: nil function")
			}
			c.taken = o.taken
		case optClock:
			if o.now == nil {
				return errors.New("mapping: WithClock: nil clock")
			}
			c.now = o.now
		case optRandom:
			if o.random == nil {
				return errors.New("mapping: WithRandom: nil reader")
			}
			c.random = o.random
		default:
			return errors.New("mapping: invalid EvalOption (use the With… constructors)")
		}
	}
	return nil
}

// Evaluate evaluates the expression against one object's attributes. An
// absent attribute is NULL; the result is NULL when no value should flow.
// Failures are [*EvalError] values; ctx is used by the uniqueness check of
// SelectUniqueValue and checked for cancellation there.
func (e *Expression) Evaluate(ctx context.Context, attrs Attributes, opts ...EvalOption) (Value, error) {
	if e == nil || e.root == nil {
		return Value{}, errors.New("mapping: Evaluate on a nil Expression")
	}
	var cfg evalConfig
	if len(opts) > 0 {
		if err := cfg.apply(opts); err != nil {
			return Value{}, err
		}
	}
	return e.eval(ctx, attrs, &cfg)
}

func (e *Expression) eval(ctx context.Context, attrs Attributes, cfg *evalConfig) (Value, error) {
	ev := evaluator{ctx: ctx, attrs: attrs, cfg: *cfg}
	return ev.eval(e.root)
}

// evaluator holds one evaluation's inputs. It stays on the stack: cfg is
// held by value so that nothing the caller owns escapes.
type evaluator struct {
	ctx   context.Context
	attrs Attributes
	cfg   evalConfig
}

func (ev *evaluator) fail(n *node, err error) error {
	name := n.name
	switch n.kind {
	case nAttr:
		name = "[" + n.name + "]"
	case nCompare:
		name = "comparison " + n.op.String()
	}
	return &EvalError{Function: name, Offset: n.pos, Err: err}
}

func (ev *evaluator) badArg(n *node, format string, args ...any) error {
	return ev.fail(n, fmt.Errorf("%w: %s", ErrBadArgument, fmt.Sprintf(format, args...)))
}

func (ev *evaluator) eval(n *node) (Value, error) {
	switch n.kind {
	case nOmitted:
		return Value{}, nil
	case nLiteral:
		return n.val, nil
	case nAttr:
		x, ok := ev.attrs[n.name]
		if !ok {
			return Value{}, nil
		}
		v, err := valueOf(x)
		if err != nil {
			return Value{}, ev.fail(n, fmt.Errorf("%w: %v", ErrBadAttribute, err))
		}
		return v, nil
	case nIdent:
		switch n.name {
		case identIgnoreAttributeFlow:
			return Value{}, nil
		case identIgnoreObjectFlow:
			return Value{}, ev.fail(n, ErrIgnoreObjectFlow)
		}
		return stringValue(n.name), nil
	case nCompare:
		a, err := ev.eval(n.args[0])
		if err != nil {
			return Value{}, err
		}
		b, err := ev.eval(n.args[1])
		if err != nil {
			return Value{}, err
		}
		return boolValue(compare(a, b, n.op)), nil
	case nCall:
		v, err := n.fn.eval(*ev, n) // by value: the evaluator stays on the caller's stack
		if err != nil {
			return Value{}, err
		}
		return v, ev.checkSize(n, v)
	}
	return Value{}, ev.fail(n, errors.New("invalid expression node"))
}

// arg evaluates argument i (NULL when omitted or absent).
func (ev *evaluator) arg(n *node, i int) (Value, error) {
	if i >= len(n.args) {
		return Value{}, nil
	}
	return ev.eval(n.args[i])
}

func (ev *evaluator) intArg(n *node, i int, what string) (int64, error) {
	v, err := ev.arg(n, i)
	if err != nil {
		return 0, err
	}
	if iv, ok := v.asInt(); ok {
		return iv, nil
	}
	if v.kind == KindString {
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64); err == nil && !math.IsInf(f, 0) && math.Abs(f) < 1<<62 {
			return int64(f), nil
		}
	}
	if v.kind == KindNull {
		return 0, ev.badArg(n, "%s is NULL; a number is needed", what)
	}
	return 0, ev.badArg(n, "%s %q is not a number", what, v.String())
}

func (ev *evaluator) timeOf(n *node, v Value, what string) (time.Time, error) {
	switch v.kind {
	case KindDateTime:
		return ticksToTime(v.n), nil
	case KindString:
		t, err := parseDate(v.s)
		if err != nil {
			return time.Time{}, ev.badArg(n, "%s: %v", what, err)
		}
		return t, nil
	}
	return time.Time{}, ev.badArg(n, "%s is a %s, not a date/time", what, v.kind)
}

// compare applies a comparison operator. A NULL operand makes every
// comparison false. Numbers compare numerically when both sides are
// numeric, DateTimes chronologically, Booleans as Booleans; otherwise the
// texts compare ordinally (case-sensitive).
func compare(a, b Value, op compOp) bool {
	if a.kind == KindNull || b.kind == KindNull {
		return false
	}
	var c int
	switch {
	case a.kind == KindDateTime && b.kind == KindDateTime:
		c = cmpInt(a.n, b.n)
	case a.kind == KindDateTime || b.kind == KindDateTime:
		// A DateTime against text: compare instants when the text is a date.
		at, aok := dateOf(a)
		bt, bok := dateOf(b)
		if aok && bok {
			c = cmpInt(at, bt)
		} else {
			c = strings.Compare(a.String(), b.String())
		}
	case a.kind == KindBool || b.kind == KindBool:
		ab, aok := a.asBool()
		bb, bok := b.asBool()
		if !aok || !bok {
			c = strings.Compare(a.String(), b.String())
			break
		}
		c = cmpInt(b2i(ab), b2i(bb))
	case a.kind == KindInteger || b.kind == KindInteger:
		af, aok := numberOf(a)
		bf, bok := numberOf(b)
		if aok && bok {
			switch {
			case af < bf:
				c = -1
			case af > bf:
				c = 1
			}
			if a.kind == KindInteger && b.kind == KindInteger {
				c = cmpInt(a.n, b.n)
			}
			break
		}
		c = strings.Compare(a.String(), b.String())
	default:
		c = strings.Compare(a.String(), b.String())
	}
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	default:
		return c <= 0
	}
}

// dateOf returns the ticks of a DateTime, or of text CDate would accept.
func dateOf(v Value) (int64, bool) {
	if v.kind == KindDateTime {
		return v.n, true
	}
	if v.kind == KindString {
		if t, err := parseDate(v.s); err == nil {
			return timeToTicks(t), true
		}
	}
	return 0, false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func numberOf(v Value) (float64, bool) {
	switch v.kind {
	case KindInteger:
		return float64(v.n), true
	case KindString:
		if i, ok := parseIntText(v.s); ok {
			return float64(i), true
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil
	}
	return 0, false
}

// single returns the text of a value a string function works on: a
// multi-valued argument contributes its first value.
func single(v Value) string { return v.String() }

// mapString applies f to a string argument; NULL stays NULL.
func (ev *evaluator) mapString(n *node, f func(string) string) (Value, error) {
	v, err := ev.arg(n, 0)
	if err != nil || v.kind == KindNull {
		return Value{}, err
	}
	if v.kind == KindMulti {
		out := make([]string, len(v.list))
		for i, s := range v.list {
			out[i] = f(s)
		}
		return multiValue(out).withRedacted(v.redacted), nil
	}
	return Value{kind: KindString, s: f(single(v)), redacted: v.redacted}, nil
}

// changeCase is ToUpper (upper) and ToLower, with an optional culture.
func changeCase(upper bool) func(evaluator, *node) (Value, error) {
	return func(ev evaluator, n *node) (Value, error) { return ev.changeCase(n, upper) }
}

func (ev *evaluator) changeCase(n *node, upper bool) (Value, error) {
	var special unicode.SpecialCase
	if len(n.args) > 1 && n.args[1].kind != nOmitted {
		c, err := ev.arg(n, 1)
		if err != nil {
			return Value{}, err
		}
		if c.kind != KindNull && single(c) != "" {
			name := single(c)
			if !validCulture(name) {
				return Value{}, ev.badArg(n, "%q is not a culture name such as en-US or tr-TR", name)
			}
			if sc, ok := cultureCase(name); ok {
				special = sc
			}
		}
	}
	return ev.mapString(n, func(s string) string {
		switch {
		case special != nil && upper:
			return strings.ToUpperSpecial(special, s)
		case special != nil:
			return strings.ToLowerSpecial(special, s)
		case upper:
			return strings.ToUpper(s)
		}
		return strings.ToLower(s)
	})
}

func evalJoin(ev evaluator, n *node) (Value, error) {
	sepv, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	sep := single(sepv)
	// Evaluate the sources first (on the stack for up to 8), then build the
	// result in one allocation.
	var buf [8]Value
	vals := buf[:0]
	if len(n.args)-1 > len(buf) {
		vals = make([]Value, 0, len(n.args)-1)
	}
	var st joinStats
	for i := 1; i < len(n.args); i++ {
		v, err := ev.arg(n, i)
		if err != nil {
			return Value{}, err
		}
		if v.kind == KindNull {
			continue
		}
		vals = append(vals, st.add(v))
	}
	if !st.anyValue {
		return Value{}, nil
	}
	if st.parts == 1 {
		for _, v := range vals {
			if v.kind == KindString && v.s != "" {
				return Value{kind: KindString, s: v.s, redacted: st.redacted}, nil
			}
		}
	}
	size := st.size
	if st.parts > 1 {
		size += len(sep) * (st.parts - 1)
	}
	if err := ev.checkLen(n, size); err != nil {
		return Value{}, err
	}
	return Value{kind: KindString, s: joinValues(vals, sep, size), redacted: st.redacted}, nil
}

// joinStats counts what Join will write: the non-empty parts and their size.
type joinStats struct {
	anyValue, redacted bool
	size, parts        int
}

// add counts v and returns it as a string or multi-valued Value.
func (st *joinStats) add(v Value) Value {
	st.anyValue = true
	st.redacted = st.redacted || v.redacted
	switch v.kind {
	case KindString:
	case KindMulti:
		for _, s := range v.list {
			st.count(s)
		}
		return v
	default:
		v = Value{kind: KindString, s: v.String()}
	}
	st.count(v.s)
	return v
}

func (st *joinStats) count(s string) {
	if s != "" {
		st.size += len(s)
		st.parts++
	}
}

// joinValues joins the non-empty texts of vals with sep.
func joinValues(vals []Value, sep string, size int) string {
	var b strings.Builder
	b.Grow(size)
	first := true
	add := func(s string) {
		if s == "" {
			return
		}
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(s)
		first = false
	}
	for _, v := range vals {
		if v.kind == KindMulti {
			for _, s := range v.list {
				add(s)
			}
			continue
		}
		add(v.s)
	}
	return b.String()
}

func evalInStr(ev evaluator, n *node) (Value, error) {
	a, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	b, err := ev.arg(n, 1)
	if err != nil {
		return Value{}, err
	}
	start := int64(1)
	if len(n.args) > 2 && n.args[2].kind != nOmitted {
		if start, err = ev.intArg(n, 2, "start"); err != nil {
			return Value{}, err
		}
		if start < 1 {
			return Value{}, ev.badArg(n, "start %d: positions start at 1", start)
		}
	}
	fold := false
	if len(n.args) > 3 {
		c := n.args[3]
		switch {
		case c.kind == nIdent:
			fold = c.name == identTextCompare
		case c.kind == nLiteral:
			// VB's numeric constants: 0 binary, 1 text.
			fold = c.val.String() == "1" || c.val.String() == identTextCompare
		}
	}
	if a.kind == KindNull {
		return intValue(0), nil
	}
	return intValue(int64(instr(single(a), single(b), int(min(start, math.MaxInt32)), fold))), nil
}

// intervalAndTime reads DateAdd's interval (argument 0) and date/time
// (argument ti). A NULL date gives a nil time.
func (ev *evaluator) intervalAndTime(n *node, ti int) (interval, *time.Time, error) {
	ivv, err := ev.arg(n, 0)
	if err != nil {
		return 0, nil, err
	}
	iv, ok := parseInterval(ivv.String())
	if !ok {
		return 0, nil, ev.badArg(n, "unknown interval %q (use yyyy, m, d, ww, h, n or s)", ivv.String())
	}
	v, err := ev.arg(n, ti)
	if err != nil || v.kind == KindNull {
		return 0, nil, err
	}
	t, err := ev.timeOf(n, v, "dateTime")
	if err != nil {
		return 0, nil, err
	}
	return iv, &t, nil
}

func evalFormatDateTime(ev evaluator, n *node) (Value, error) {
	src, err := ev.arg(n, 0)
	if err != nil || src.kind == KindNull {
		return Value{}, err
	}
	inIdx, outIdx := 1, 2
	if len(n.args) == 4 {
		inIdx, outIdx = 2, 3
		styles, err := ev.arg(n, 1)
		if err != nil {
			return Value{}, err
		}
		if err := checkDateTimeStyles(single(styles)); err != nil {
			return Value{}, ev.badArg(n, "%v", err)
		}
	}
	inF, err := ev.arg(n, inIdx)
	if err != nil {
		return Value{}, err
	}
	outF, err := ev.arg(n, outIdx)
	if err != nil {
		return Value{}, err
	}
	var t time.Time
	if src.kind == KindDateTime {
		t = ticksToTime(src.n)
	} else {
		if t, err = parseDotNet(single(src), single(inF)); err != nil {
			return Value{}, ev.badArg(n, "%v", err)
		}
	}
	out, err := formatDotNet(t, single(outF))
	if err != nil {
		return Value{}, ev.badArg(n, "%v", err)
	}
	return Value{kind: KindString, s: out, redacted: src.redacted}, nil
}

// checkDateTimeStyles accepts the names of .NET DateTimeStyles, separated
// by commas or '|'. Every style is honoured by parsing in UTC with white
// space allowed.
func checkDateTimeStyles(s string) error {
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		name := strings.TrimSpace(part)
		name = strings.TrimPrefix(name, "DateTimeStyles.")
		switch name {
		case "", "None", "AllowLeadingWhite", "AllowTrailingWhite", "AllowInnerWhite", "AllowWhiteSpaces",
			"NoCurrentDateDefault", "AdjustToUniversal", "AssumeLocal", "AssumeUniversal", "RoundtripKind":
		default:
			return fmt.Errorf("unknown DateTimeStyles value %q", name)
		}
	}
	return nil
}

type replaceMode uint8

const (
	replaceLiteral  replaceMode = iota + 1 // oldValue + replacementValue
	replaceTemplate                        // oldValue + template
	replaceRegex                           // regexPattern + replacementValue (${group} allowed)
	replaceGroup                           // regexPattern + regexGroupName + replacementValue
	replaceExtract                         // regexPattern + regexGroupName + replacementAttributeName
)

// replaceModeOf decides Replace's form from which arguments are written.
func replaceModeOf(args []*node) (replaceMode, error) {
	has := func(i int) bool { return i < len(args) && args[i].kind != nOmitted }
	switch {
	case has(2) && has(3) && has(5):
		return replaceExtract, nil
	case has(2) && has(3) && has(4):
		return replaceGroup, nil
	case has(2) && has(4):
		return replaceRegex, nil
	case has(2):
		return 0, errors.New("a regexPattern needs a replacementValue, or a regexGroupName with a replacementValue or replacementAttributeName")
	case has(1) && has(4):
		return replaceLiteral, nil
	case has(1) && has(6):
		return replaceTemplate, nil
	case has(1):
		return 0, errors.New("an oldValue needs a replacementValue or a template")
	}
	return 0, errors.New("give an oldValue or a regexPattern")
}

// DefaultRegexTimeout bounds one regular-expression match, as Entra does,
// so that a pathological pattern or value cannot hang a provisioning cycle.
const DefaultRegexTimeout = 250 * time.Millisecond

// ErrRegexTimeout matches a regular-expression match that ran past its
// timeout (see [DefaultRegexTimeout]): a fault of one object's value, not
// of the whole set.
var ErrRegexTimeout = errors.New("mapping: regular expression match timed out")

// compileRegex compiles a .NET regular expression with a match timeout
// (DefaultRegexTimeout when timeout is 0).
func compileRegex(pattern string, timeout time.Duration) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = cmp.Or(timeout, DefaultRegexTimeout)
	return re, nil
}

// regexFailure turns an error of a match into ErrRegexTimeout when it is
// regexp2's timeout. regexp2's own text quotes the whole input, which may
// be a person's data: it is never passed on.
func regexFailure(re *regexp2.Regexp, err error) error {
	if strings.HasPrefix(err.Error(), "match timeout") {
		return fmt.Errorf("%w after %v", ErrRegexTimeout, re.MatchTimeout)
	}
	return errors.New("regular expression failed")
}

func evalReplace(ev evaluator, n *node) (Value, error) {
	src, err := ev.arg(n, 0)
	if err != nil {
		return Value{}, err
	}
	switch n.mode {
	case replaceLiteral:
		return ev.replaceLiteral(n, src)
	case replaceTemplate:
		return ev.replaceTemplate(n, src)
	}
	re, group, err := ev.replaceRegex(n)
	if err != nil {
		return Value{}, err
	}
	switch n.mode {
	case replaceExtract:
		return ev.replaceExtract(n, src, re, group)
	case replaceRegex:
		return ev.replacePattern(n, src, re)
	}
	return ev.replaceGroup(n, src, re, group)
}

// replaceLiteral: every oldValue in the source becomes replacementValue.
func (ev *evaluator) replaceLiteral(n *node, src Value) (Value, error) {
	return ev.replaceAll(n, src, 4, false)
}

// replaceTemplate: every oldValue in the template becomes the source.
func (ev *evaluator) replaceTemplate(n *node, src Value) (Value, error) {
	return ev.replaceAll(n, src, 6, true)
}

// replaceAll replaces every oldValue (argument 1): in the source by
// argument arg, or, for a template, in argument arg by the source. The
// result's size is checked before it is built.
func (ev *evaluator) replaceAll(n *node, src Value, arg int, template bool) (Value, error) {
	if src.kind == KindNull {
		return Value{}, nil
	}
	old, err := ev.arg(n, 1)
	if err != nil {
		return Value{}, err
	}
	other, err := ev.arg(n, arg)
	if err != nil {
		return Value{}, err
	}
	text, with := src, other
	if template {
		text, with = other, src
	}
	oldS, t, w := single(old), single(text), single(with)
	if oldS == "" {
		return text, nil
	}
	if err := ev.checkLen(n, len(t)+strings.Count(t, oldS)*(len(w)-len(oldS))); err != nil {
		return Value{}, err
	}
	return Value{kind: KindString, s: strings.ReplaceAll(t, oldS, w), redacted: src.redacted}, nil
}

// replaceRegex returns the pattern (compiled at parse time when it is a
// literal) and the group name of the forms that use one.
func (ev *evaluator) replaceRegex(n *node) (*regexp2.Regexp, string, error) {
	re := n.re
	if re == nil {
		pv, err := ev.arg(n, 2)
		if err != nil {
			return nil, "", err
		}
		if re, err = compileRegex(single(pv), ev.cfg.regexTimeout); err != nil {
			return nil, "", ev.badArg(n, "invalid regular expression %q: %v", single(pv), err)
		}
	}
	if n.mode != replaceGroup && n.mode != replaceExtract {
		return re, "", nil
	}
	g, err := ev.arg(n, 3)
	if err != nil {
		return nil, "", err
	}
	group := single(g)
	if re.GroupNumberFromName(group) < 0 {
		return nil, "", ev.badArg(n, "the regular expression has no group named %q", group)
	}
	return re, group, nil
}

// replaceExtract: a NULL or empty source takes the named group of the
// pattern's first match in replacementAttributeName.
func (ev *evaluator) replaceExtract(n *node, src Value, re *regexp2.Regexp, group string) (Value, error) {
	if !src.isEmpty() {
		return src, nil
	}
	other, err := ev.arg(n, 5)
	if err != nil || other.kind == KindNull {
		return Value{}, err
	}
	m, err := re.FindStringMatch(single(other))
	if err != nil {
		return Value{}, ev.fail(n, regexFailure(re, err))
	}
	if m == nil {
		return Value{}, nil
	}
	g := m.GroupByName(group)
	if g == nil || len(g.Captures) == 0 {
		return Value{}, nil
	}
	return stringValue(g.String()).withRedacted(other.redacted), nil
}

// replacePattern: every match of the pattern becomes replacementValue,
// with .NET substitutions ($1, ${name}). Before building the result it
// bounds its size: a substitution copies at most the whole source.
func (ev *evaluator) replacePattern(n *node, src Value, re *regexp2.Regexp) (Value, error) {
	if src.kind == KindNull {
		return Value{}, nil
	}
	repl, err := ev.arg(n, 4)
	if err != nil {
		return Value{}, err
	}
	s, r := single(src), single(repl)
	if growth := len(r) + strings.Count(r, "$")*len(s); growth > 0 && len(s)+growth > ev.maxValue() {
		idx, err := re.FindAllStringIndex(s, -1)
		if err != nil {
			return Value{}, ev.fail(n, regexFailure(re, err))
		}
		if bound := len(s) + len(idx)*growth; bound > hardBound(ev.maxValue()) {
			return Value{}, ev.checkLen(n, bound)
		}
	}
	out, err := re.Replace(s, r, -1, -1)
	if err != nil {
		return Value{}, ev.fail(n, regexFailure(re, err))
	}
	return Value{kind: KindString, s: out, redacted: src.redacted}, nil
}

// hardBound is the largest intermediate result built before its real size
// is checked: results that might exceed the value limit, but need not,
// are built when they stay below it, and checked after.
func hardBound(limit int) int { return 16 * limit }

// replaceGroup: the named group of every match becomes replacementValue.
func (ev *evaluator) replaceGroup(n *node, src Value, re *regexp2.Regexp, group string) (Value, error) {
	if src.kind == KindNull {
		return Value{}, nil
	}
	repl, err := ev.arg(n, 4)
	if err != nil {
		return Value{}, err
	}
	s, r := single(src), single(repl)
	var b strings.Builder
	last := 0
	m, err := re.FindStringMatch(s)
	for err == nil && m != nil {
		if g := m.GroupByName(group); g != nil && len(g.Captures) > 0 {
			idx, length := g.ByteRange()
			if idx >= last {
				b.WriteString(s[last:idx])
				b.WriteString(r)
				last = idx + length
			}
		}
		if b.Len() > ev.maxValue() {
			return Value{}, ev.checkLen(n, b.Len())
		}
		m, err = re.FindNextMatch(m)
	}
	if err != nil {
		return Value{}, ev.fail(n, regexFailure(re, err))
	}
	b.WriteString(s[last:])
	return Value{kind: KindString, s: b.String(), redacted: src.redacted}, nil
}

func dedupe(list []string) []string {
	seen := make(map[string]struct{}, len(list))
	out := list[:0:0]
	for _, s := range list {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}

func (ev *evaluator) readRandom(b []byte) error {
	r := ev.cfg.random
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("reading randomness: %w", err)
	}
	return nil
}

// randIntn returns a uniform integer in [0, n) from the configured randomness.
func (ev *evaluator) randIntn(n int) (int, error) {
	if n <= 1 {
		return 0, nil
	}
	limit := (1 << 32) / uint64(n) * uint64(n)
	var b [4]byte
	for {
		if err := ev.readRandom(b[:]); err != nil {
			return 0, err
		}
		v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
		if v < limit {
			return int(v % uint64(n)), nil
		}
	}
}

// Character classes of RandomString, per the Windows password complexity
// rules Entra's documentation points to.
const (
	rsDigits  = "0123456789"
	rsSpecial = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
	rsUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	rsLower   = "abcdefghijklmnopqrstuvwxyz"
)

func evalRandomString(ev evaluator, n *node) (Value, error) {
	var nums [5]int64
	names := [5]string{"Length", "MinimumNumbers", "MinimumSpecialCharacters", "MinimumCapital", "MinimumLowerCase"}
	for i := range nums {
		v, err := ev.intArg(n, i, names[i])
		if err != nil {
			return Value{}, err
		}
		if v < 0 {
			return Value{}, ev.badArg(n, "%s %d is negative", names[i], v)
		}
		nums[i] = v
	}
	length := nums[0]
	if length > 256 {
		return Value{}, ev.badArg(n, "Length %d is more than 256", length)
	}
	if sum := nums[1] + nums[2] + nums[3] + nums[4]; sum > length {
		return Value{}, ev.badArg(n, "the minimums add up to %d, more than Length %d", sum, length)
	}
	avoid := ""
	if len(n.args) > 5 {
		a, err := ev.arg(n, 5)
		if err != nil {
			return Value{}, err
		}
		avoid = single(a)
	}
	keep := func(set string) string {
		if avoid == "" {
			return set
		}
		var b strings.Builder
		for _, r := range set {
			if !strings.ContainsRune(avoid, r) {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	classes := [4]string{keep(rsDigits), keep(rsSpecial), keep(rsUpper), keep(rsLower)}
	all := classes[0] + classes[1] + classes[2] + classes[3]
	if all == "" && length > 0 {
		return Value{}, ev.badArg(n, "CharactersToAvoid excludes every character")
	}
	out := make([]byte, 0, length)
	for ci, cls := range classes {
		if nums[ci+1] > 0 && cls == "" {
			return Value{}, ev.badArg(n, "%s: CharactersToAvoid excludes the whole class", names[ci+1])
		}
		for k := int64(0); k < nums[ci+1]; k++ {
			i, err := ev.randIntn(len(cls))
			if err != nil {
				return Value{}, ev.fail(n, err)
			}
			out = append(out, cls[i])
		}
	}
	for int64(len(out)) < length {
		i, err := ev.randIntn(len(all))
		if err != nil {
			return Value{}, ev.fail(n, err)
		}
		out = append(out, all[i])
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := ev.randIntn(i + 1)
		if err != nil {
			return Value{}, ev.fail(n, err)
		}
		out[i], out[j] = out[j], out[i]
	}
	return stringValue(string(out)), nil
}
