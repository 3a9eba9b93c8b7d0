package mapping

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// The number a Problem prints is the number its Mapping field holds.
func TestProblemNumberAgreesWithField(t *testing.T) {
	_, err := ParseSet([]byte(`mappings:
  - target: userName
    direct: userPrincipalName
    match: 1
  - target: nosuchattribute
    direct: x
`))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("ParseSet: %v, want one problem", err)
	}
	p := ve.Problems[0]
	if want := "mapping " + strconv.Itoa(p.Mapping) + " "; !strings.Contains(p.String(), want) {
		t.Errorf("Problem.Mapping = %d but String() = %q", p.Mapping, p.String())
	}
	if p.Mapping != 2 {
		t.Errorf("Problem.Mapping = %d, want 2 (the second mapping, counted from 1)", p.Mapping)
	}
}

func TestValidationErrorPlural(t *testing.T) {
	one := (&ValidationError{Problems: []Problem{{Msg: "x"}}}).Error()
	if strings.Contains(one, "1 problems") || !strings.Contains(one, "1 problem") {
		t.Errorf("one problem: %q", one)
	}
	two := (&ValidationError{Problems: []Problem{{Msg: "x"}, {Msg: "y"}}}).Error()
	if !strings.Contains(two, "2 problems") {
		t.Errorf("two problems: %q", two)
	}
}

// An evaluation failure inside Map names the package once.
func TestMapErrorPrefixOnce(t *testing.T) {
	set, err := ParseSet([]byte(`mappings:
  - target: userName
    expression: 'Mid([userPrincipalName], 0, 2)'
    match: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.Map(context.Background(), Attributes{"userPrincipalName": "a@b"})
	if err == nil {
		t.Fatal("Map: no error")
	}
	if n := strings.Count(err.Error(), "mapping:"); n != 1 {
		t.Errorf("error says \"mapping:\" %d times: %q", n, err)
	}
	if !errors.Is(err, ErrBadArgument) {
		t.Errorf("errors.Is(ErrBadArgument) = false for %v", err)
	}
}
