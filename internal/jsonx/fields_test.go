package jsonx

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFields: members match names without regard to case, as encoding/json
// fills struct fields; absent members are nil; two spellings of one name are
// refused.
func TestFields(t *testing.T) {
	m, err := DecodeObject([]byte(`{"TOTALRESULTS":2,"Resources":[],"other":1,"startindex":null}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Fields(m, "totalResults", "Resources", "startIndex", "itemsPerPage")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]any{json.Number("2"), []any{}, nil, nil}, got); d != "" {
		t.Errorf("Fields (-want +got):\n%s", d)
	}
	m, err = DecodeObject([]byte(`{"value":[],"Value":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fields(m, "value"); err == nil || !strings.Contains(err.Error(), `both "Value" and "value"`) {
		t.Errorf("two spellings: error %v", err)
	}
}
