package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestErrorJSON(t *testing.T) {
	e := NewError(409, ScimTypeUniqueness, "userName is taken")
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName is taken"}`
	if string(data) != want {
		t.Errorf("Marshal = %s\nwant      %s", data, want)
	}
	if got := e.Error(); got != "scim: 409 Conflict (uniqueness): userName is taken" {
		t.Errorf("Error() = %q", got)
	}
	bare, _ := json.Marshal(NewError(404, "", ""))
	if string(bare) != `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}` {
		t.Errorf("Marshal without type and detail = %s", bare)
	}

	decodeTests := []struct {
		in   string
		want Error
	}{
		{want, *e},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"Resource 2819c223 not found"}`,
			Error{Status: 404, Detail: "Resource 2819c223 not found"}},
		{`{"status":400,"scimType":"invalidFilter"}`, Error{Status: 400, ScimType: "invalidFilter"}},
		{`{"status":" 429 ","detail":"slow down"}`, Error{Status: 429, Detail: "slow down"}},
		{`{"detail":"no status"}`, Error{Detail: "no status"}},
		{`{"status":null}`, Error{}},
	}
	for _, tc := range decodeTests {
		var got Error
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{`{"status":"abc"}`, `{"status":true}`, `{"status":4.5}`, `{"status":"-1"}`, `{"status":1000}`, `[1]`, `"x"`, `{"detail":5}`} {
		var got Error
		err := json.Unmarshal([]byte(bad), &got)
		if err == nil {
			t.Errorf("Unmarshal(%s) succeeded: %+v", bad, got)
		} else if !strings.Contains(err.Error(), "error response") {
			t.Errorf("Unmarshal(%s) error %q does not say what was decoded", bad, err)
		}
	}
	if got := (&Error{Detail: "no status"}).Error(); got != "scim: error: no status" {
		t.Errorf("Error() without status = %q", got)
	}
	// *Error is found through wrapping.
	wrapped := fmt.Errorf("creating user: %w", e)
	var got *Error
	if !errors.As(wrapped, &got) || got.Status != 409 {
		t.Error("errors.As does not find *Error")
	}
}

func TestListResponseJSON(t *testing.T) {
	empty, err := json.Marshal(ListResponse{TotalResults: 0, StartIndex: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"itemsPerPage":0,"startIndex":1,"Resources":[]}`
	if string(empty) != want {
		t.Errorf("Marshal empty = %s\nwant            %s", empty, want)
	}
	in := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":"2","itemsPerPage":2,"startIndex":1,
		"Resources":[{"id":"1","userName":"a"},{"id":"2","userName":"b"}]}`
	var l ListResponse
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	wantList := ListResponse{
		Schemas:      []string{ListResponseSchema},
		TotalResults: 2, ItemsPerPage: 2, StartIndex: 1,
		Resources: []Resource{{"id": "1", "userName": "a"}, {"id": "2", "userName": "b"}},
	}
	if diff := cmp.Diff(wantList, l); diff != "" {
		t.Errorf("Unmarshal (-want +got):\n%s", diff)
	}
	again, _ := json.Marshal(l)
	var l2 ListResponse
	if err := json.Unmarshal(again, &l2); err != nil || !cmp.Equal(l, l2) {
		t.Errorf("round trip: %v %s", err, cmp.Diff(l, l2))
	}
	var noRes ListResponse
	if err := json.Unmarshal([]byte(`{"totalResults":5}`), &noRes); err != nil || noRes.Resources != nil || noRes.TotalResults != 5 {
		t.Errorf("missing Resources: %+v %v", noRes, err)
	}
	for _, bad := range []string{`{"Resources":[{"id":"1"},null]}`, `{"totalResults":-1}`, `{"totalResults":"x"}`, `{"startIndex":1.5}`, `{"Resources":[1]}`, `{"Resources":{}}`, `[]`} {
		var got ListResponse
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		} else if !strings.Contains(err.Error(), "list response") {
			t.Errorf("Unmarshal(%s): %q does not say what was decoded", bad, err)
		}
	}
}
