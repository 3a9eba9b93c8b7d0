package mapping

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxConfigSize is the largest mapping file accepted. A set of
// maxMappings mappings with long expressions fits well within it.
const maxConfigSize = 1 << 20

// maxObjectMappings bounds the sets one schema import builds (Entra's
// SCIM apps have one or two: users and groups).
const maxObjectMappings = 32

// maxSchemaSize is the largest Entra synchronization schema accepted by
// [ImportEntraSchema]: an export also describes every attribute of both
// directories, which mapping files do not.
const maxSchemaSize = 16 << 20

// ErrConfig matches every error about a malformed mapping file or schema
// (syntax, unknown fields, wrong types); invalid content is a
// [*ValidationError] instead.
var ErrConfig = errors.New("mapping: malformed mapping file")

// fileSet is the hand-written file format of a Set (see the package
// documentation for an example).
type fileSet struct {
	Name     string         `json:"name,omitempty" yaml:"name,omitempty"`
	Object   string         `json:"object,omitempty" yaml:"object,omitempty"`
	Required []string       `json:"required,omitempty" yaml:"required,omitempty,flow"`
	Mappings []fileMapping  `json:"mappings" yaml:"mappings"`
	Scope    [][]fileClause `json:"scope,omitempty" yaml:"scope,omitempty"`
}

// fileMapping: exactly one of Direct, Constant, Expression, or none of
// them for a None mapping.
type fileMapping struct {
	Target     string  `json:"target" yaml:"target"`
	Direct     *string `json:"direct,omitempty" yaml:"direct,omitempty"`
	Constant   *string `json:"constant,omitempty" yaml:"constant,omitempty"`
	Expression *string `json:"expression,omitempty" yaml:"expression,omitempty"`
	Default    string  `json:"default,omitempty" yaml:"default,omitempty"`
	Apply      string  `json:"apply,omitempty" yaml:"apply,omitempty"`
	Match      int     `json:"match,omitempty" yaml:"match,omitempty"`
}

type fileClause struct {
	Attribute string  `json:"attribute" yaml:"attribute"`
	Operator  string  `json:"operator" yaml:"operator"`
	Value     *string `json:"value,omitempty" yaml:"value,omitempty"`
}

func (s *Set) toFile() fileSet {
	f := fileSet{Name: s.cfg.name, Object: s.cfg.object, Required: s.cfg.required, Mappings: make([]fileMapping, len(s.mappings))}
	if f.Object == "User" {
		f.Object = ""
	}
	for i, m := range s.mappings {
		fm := fileMapping{Target: m.Target, Default: m.Default, Match: m.Match}
		if m.Apply != "" && m.Apply != ApplyAlways {
			fm.Apply = string(m.Apply)
		}
		src := m.Source
		switch m.Type {
		case TypeDirect:
			fm.Direct = &src
		case TypeConstant:
			fm.Constant = &src
		case TypeExpression:
			fm.Expression = &src
		}
		f.Mappings[i] = fm
	}
	for _, g := range s.cfg.scope {
		var fg []fileClause
		for _, c := range g {
			fg = append(fg, fileClause(c))
		}
		f.Scope = append(f.Scope, fg)
	}
	return f
}

// fromFile builds the set a decoded file describes.
func fromFile(f fileSet) (*Set, error) {
	if len(f.Mappings) > maxMappings {
		return nil, &ValidationError{Problems: []Problem{{Field: "mappings",
			Msg: fmt.Sprintf("the file has %d mappings; at most %d are allowed", len(f.Mappings), maxMappings)}}}
	}
	var problems []Problem
	mappings := make([]Mapping, len(f.Mappings))
	for i, fm := range f.Mappings {
		m, ok := fm.mapping()
		if !ok {
			problems = append(problems, Problem{Mapping: i + 1, Target: fm.Target, Field: "source",
				Msg: "give only one of direct, constant and expression"})
		}
		mappings[i] = m
	}
	var scope ScopingFilter
	for _, g := range f.Scope {
		var cg []Clause
		for _, c := range g {
			cg = append(cg, Clause(c))
		}
		scope = append(scope, cg)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	opts := []SetOption{WithName(f.Name), WithObject(f.Object), WithScope(scope), WithRequired(f.Required...)}
	return NewSet(mappings, opts...)
}

// mapping returns the mapping a file entry describes; false when it gives
// more than one of direct, constant and expression.
func (fm fileMapping) mapping() (Mapping, bool) {
	m := Mapping{Target: fm.Target, Default: fm.Default, Apply: Apply(fm.Apply), Match: fm.Match, Type: TypeNone}
	n := 0
	for _, src := range []struct {
		v *string
		t MappingType
	}{{fm.Direct, TypeDirect}, {fm.Constant, TypeConstant}, {fm.Expression, TypeExpression}} {
		if src.v != nil {
			m.Type, m.Source = src.t, *src.v
			n++
		}
	}
	return m, n <= 1
}

// MarshalJSON encodes the set in the mapping file format.
func (s *Set) MarshalJSON() ([]byte, error) { return json.Marshal(s.toFile()) }

// MarshalYAML encodes the set in the mapping file format.
func (s *Set) MarshalYAML() (any, error) { return s.toFile(), nil }

// ParseSet reads a mapping set in the file format, as YAML or JSON (JSON is
// recognised by its leading '{'), and validates it. Unknown fields are
// errors. A syntax fault wraps [ErrConfig] and names the line; invalid
// content is a [*ValidationError] listing every problem.
func ParseSet(data []byte) (*Set, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrConfig, len(data), maxConfigSize)
	}
	var f fileSet
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrConfig, describeJSONError(trimmed, err))
		}
		if _, err := dec.Token(); err != io.EOF { // Decoder.More misses a stray closing bracket
			return nil, fmt.Errorf("%w: data after the JSON object", ErrConfig)
		}
	} else {
		if err := decodeYAML(data, &f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: empty mapping file", ErrConfig)
			}
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if len(f.Mappings) == 0 {
		return nil, fmt.Errorf("%w: no mappings", ErrConfig)
	}
	return fromFile(f)
}

// decodeYAML decodes exactly one YAML document with unknown fields
// rejected. A panic inside the YAML library becomes an error: bad input
// never crashes the caller.
func decodeYAML(data []byte, f *fileSet) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML decoder failed on this input: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return err
	}
	var extra yaml.Node
	if dec.Decode(&extra) == nil {
		return errors.New("more than one YAML document")
	}
	return nil
}

// describeJSONError adds the line and column to a JSON decoding error.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// LoadSet reads a mapping file: ".json" files as JSON, anything else as
// YAML (which also accepts JSON). See [ParseSet].
func LoadSet(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	s, err := ParseSet(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Save writes the set to path in the file format: JSON for a ".json" name,
// YAML otherwise. It writes a temporary file and renames it, so a crash
// never leaves half a file.
func (s *Set) Save(path string) error {
	if s == nil {
		return errors.New("mapping: Save of a nil *Set")
	}
	var data []byte
	var err error
	if strings.EqualFold(filepath.Ext(path), ".json") {
		data, err = json.MarshalIndent(s, "", "  ")
		data = append(data, '\n')
	} else {
		data, err = s.EncodeYAML()
	}
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// EncodeYAML returns the set in the YAML file format.
func (s *Set) EncodeYAML() ([]byte, error) {
	if s == nil {
		return nil, errors.New("mapping: EncodeYAML of a nil *Set")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s.toFile()); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---- Entra synchronization schema import ----

type entraSchema struct {
	SynchronizationRules []struct {
		Name           string               `json:"name"`
		ObjectMappings []entraObjectMapping `json:"objectMappings"`
	} `json:"synchronizationRules"`
}

type entraObjectMapping struct {
	Name              string                  `json:"name"`
	Enabled           *bool                   `json:"enabled"`
	SourceObjectName  string                  `json:"sourceObjectName"`
	TargetObjectName  string                  `json:"targetObjectName"`
	AttributeMappings []entraAttributeMapping `json:"attributeMappings"`
	Scope             *struct {
		Groups []struct {
			Name    string        `json:"name"`
			Clauses []entraClause `json:"clauses"`
		} `json:"groups"`
	} `json:"scope"`
}

type entraAttributeMapping struct {
	DefaultValue        *string `json:"defaultValue"`
	FlowBehavior        string  `json:"flowBehavior"`
	FlowType            string  `json:"flowType"`
	MatchingPriority    int     `json:"matchingPriority"`
	TargetAttributeName string  `json:"targetAttributeName"`
	Source              *struct {
		Expression string `json:"expression"`
		Name       string `json:"name"`
		Type       string `json:"type"`
	} `json:"source"`
}

type entraClause struct {
	OperatorName      string `json:"operatorName"`
	SourceOperandName string `json:"sourceOperandName"`
	TargetOperand     *struct {
		Values []string `json:"values"`
	} `json:"targetOperand"`
}

// ImportEntraSchema reads a synchronization schema exported from the Entra
// portal or read from Microsoft Graph
// (servicePrincipals/{id}/synchronization/jobs/{id}/schema) and returns one
// Set per enabled object mapping, with its attribute mappings and scoping
// filter. [Set.Object] is the source object name ("User", "Group"),
// [Set.Name] the object mapping's name. Required is left empty: for Druva,
// add it with set.WithOptions(WithRequired(DruvaDefault().Required()...)).
//
// Translation: source type Attribute → Direct, Constant → Constant,
// Function → Expression, no source → None; flowType Always → Always,
// ObjectAddOnly → OnCreate; matchingPriority → Match; defaultValue →
// Default. flowBehavior is ignored (updates are always diffs). Every
// problem of every set is reported at once in a [*ValidationError].
func ImportEntraSchema(data []byte) ([]*Set, error) {
	if len(data) > maxSchemaSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrConfig, len(data), maxSchemaSize)
	}
	var sch entraSchema
	if err := json.Unmarshal(data, &sch); err != nil {
		return nil, fmt.Errorf("%w: Entra schema: %s", ErrConfig, describeJSONError(data, err))
	}
	if len(sch.SynchronizationRules) == 0 {
		return nil, fmt.Errorf("%w: Entra schema: no synchronizationRules", ErrConfig)
	}
	var sets []*Set
	var problems []Problem
	for _, rule := range sch.SynchronizationRules {
		for _, om := range rule.ObjectMappings {
			if om.Enabled != nil && !*om.Enabled {
				continue
			}
			if len(sets) == maxObjectMappings {
				return nil, fmt.Errorf("%w: Entra schema: more than %d enabled object mappings", ErrConfig, maxObjectMappings)
			}
			s, local := importObjectMapping(om)
			problems = append(problems, local...)
			sets = append(sets, s)
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("%w: Entra schema: no enabled object mapping", ErrConfig)
	}
	return sets, nil
}

// importObjectMapping builds the set of one object mapping, or returns its
// problems (in mapping order, the set's own last), each naming the set.
func importObjectMapping(om entraObjectMapping) (*Set, []Problem) {
	var problems []Problem
	if len(om.AttributeMappings) > maxMappings {
		return nil, []Problem{{Set: om.Name, Field: "mappings",
			Msg: fmt.Sprintf("the object mapping has %d attribute mappings; at most %d are allowed", len(om.AttributeMappings), maxMappings)}}
	}
	mappings := make([]Mapping, len(om.AttributeMappings))
	for i, am := range om.AttributeMappings {
		m, p := importAttributeMapping(am)
		if p != nil {
			p.Mapping = i + 1
			problems = append(problems, *p)
		}
		mappings[i] = m
	}
	scope, sp := importScope(om)
	problems = append(problems, sp...)
	cfg := setConfig{name: om.Name, object: om.SourceObjectName, scope: scope}
	s, err := build(cfg, mappings)
	var ve *ValidationError
	if errors.As(err, &ve) {
		problems = append(problems, ve.Problems...)
	} else if err != nil {
		problems = append(problems, Problem{Msg: err.Error()})
	}
	for i := range problems {
		problems[i].Set = om.Name
	}
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Compare(cmp.Or(a.Mapping, math.MaxInt), cmp.Or(b.Mapping, math.MaxInt))
	})
	return s, problems
}

// importAttributeMapping translates one attribute mapping (see
// [ImportEntraSchema]).
func importAttributeMapping(am entraAttributeMapping) (Mapping, *Problem) {
	m := Mapping{Target: am.TargetAttributeName, Match: am.MatchingPriority}
	if am.DefaultValue != nil {
		m.Default = *am.DefaultValue
	}
	var problem *Problem
	switch am.FlowType {
	case "", "Always":
		m.Apply = ApplyAlways
	case "ObjectAddOnly":
		m.Apply = ApplyOnCreate
	default:
		problem = &Problem{Target: m.Target, Field: "apply",
			Msg: fmt.Sprintf("flowType %q is not supported (Always or ObjectAddOnly)", am.FlowType)}
	}
	src := am.Source
	switch {
	case src == nil || (src.Type == "" && src.Expression == "" && src.Name == ""):
		m.Type = TypeNone
	case src.Type == "Attribute":
		m.Type, m.Source = TypeDirect, src.Name
		if m.Source == "" {
			m.Source = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(src.Expression), "["), "]")
		}
	case src.Type == "Constant":
		m.Type, m.Source = TypeConstant, src.Name
		if m.Source == "" && src.Expression != "" {
			m.Source = src.Expression
			if e, err := ParseExpression(src.Expression); err == nil && e.root.kind == nLiteral {
				m.Source = e.root.val.String()
			}
		}
	default: // "Function", or an expression of another kind
		m.Type, m.Source = TypeExpression, src.Expression
	}
	return m, problem
}

// importScope translates an object mapping's scoping filter. Entra lists
// the items of "&" and "!&" as several values; other operators take one.
func importScope(om entraObjectMapping) (ScopingFilter, []Problem) {
	if om.Scope == nil {
		return nil, nil
	}
	var scope ScopingFilter
	var problems []Problem
	for gi, g := range om.Scope.Groups {
		var group []Clause
		for ci, c := range g.Clauses {
			op := cmp.Or(normalizeOperator(c.OperatorName), c.OperatorName)
			cl := Clause{Attribute: c.SourceOperandName, Operator: op}
			if c.TargetOperand != nil && len(c.TargetOperand.Values) > 0 && !unaryOp(op) {
				vals := c.TargetOperand.Values
				if len(vals) > 1 && op != opIn && op != opNotIn {
					problems = append(problems, Problem{Field: fmt.Sprintf("scope[%d][%d]", gi, ci),
						Msg: fmt.Sprintf("operator %s takes one value, the schema gives %d", op, len(vals))})
				}
				v := strings.Join(vals, ",")
				cl.Value = &v
			}
			group = append(group, cl)
		}
		scope = append(scope, group)
	}
	return scope, problems
}
