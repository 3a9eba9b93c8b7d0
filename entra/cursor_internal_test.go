package entra

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A delta link encoded in two steps (the scope while the users are still
// listed, their link at the end) decodes to the cursor it was made from,
// and so does one written in the member order of earlier versions, with
// the users' link before the scope.
func TestCursorInTwoSteps(t *testing.T) {
	c := &cursor{V: 1, SP: "sp", Cfg: "cfg", U: "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=a\"b",
		G:  "https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=g",
		AU: map[string][]string{"u1": {"r1"}}, AG: map[string][]string{"g1": {"r1", "r2"}},
		M: map[string]membership{"g1": {Users: []string{"u2", "u3"}, Nested: []string{"g2"}}}}

	w := startCursor(c)
	link, err := w.finish(c.U)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeCursor(link)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("two-step link (-want +got):\n%s", d)
	}

	// The order of earlier versions: json.Marshal of the struct, "u"
	// before "g".
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(c); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err = decodeCursor(cursorPrefix + base64.RawURLEncoding.EncodeToString(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("link of earlier versions (-want +got):\n%s", d)
	}
}

// Objects built on several goroutines are those built on one, in the
// order the users were listed.
func TestObjectsInParallel(t *testing.T) {
	list := func() *userList {
		l := &userList{props: map[string]map[string]any{}}
		for i := range 5_000 {
			id := fmt.Sprintf("u%05d", (i*7919)%5_000) // not in id order
			l.add(id, map[string]any{"id": id, "displayName": "User " + id, "accountEnabled": i%5 != 0,
				"userPrincipalName": id + "_contoso.com#EXT#@fabrikam.onmicrosoft.com", "@odata.type": "x"})
		}
		return l
	}
	roles := map[string][]string{}
	for i := range 5_000 {
		if i%3 != 0 {
			roles[fmt.Sprintf("u%05d", i)] = []string{"r1"}
		}
	}
	rd := &read{r: &Reader{}, roles: map[string]appRole{"r1": {value: "User"}}}
	one, err := rd.objects(t.Context(), list(), roles, 1)
	if err != nil {
		t.Fatal(err)
	}
	four, err := rd.objects(t.Context(), list(), roles, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) == 0 || len(one) == 5_000 {
		t.Fatalf("%d objects of 5,000 users: the test wants some left out", len(one))
	}
	if d := cmp.Diff(one, four); d != "" {
		t.Errorf("4 workers (-1 worker +4 workers):\n%s", d)
	}
}
