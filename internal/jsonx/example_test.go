package jsonx_test

import (
	"fmt"

	"github.com/druvascim/druvascim/internal/jsonx"
)

func ExampleDecodeObject() {
	m, err := jsonx.DecodeObject([]byte(`{"userName":"bjensen","active":true,"emails":[{"value":"b@example.com"}],"x":1.50}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%T %v\n", m["x"], m["x"])
	fmt.Println(m["userName"], m["active"], m["emails"].([]any)[0].(map[string]any)["value"])

	_, err = jsonx.DecodeObject([]byte(`{"a":1}}`))
	fmt.Println(err)
	// Output:
	// json.Number 1.50
	// bjensen true b@example.com
	// jsonx: trailing data: invalid character '}' after top-level object at offset 7
}

func ExampleMarshal() {
	b, err := jsonx.Marshal(map[string]any{"userName": "<bjensen>", "active": true, "n": 1e21, "emails": []any{}})
	fmt.Println(string(b), err)
	// Output:
	// {"active":true,"emails":[],"n":1e+21,"userName":"\u003cbjensen\u003e"} <nil>
}
