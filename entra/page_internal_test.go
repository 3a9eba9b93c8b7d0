package entra

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodePageMembers: member names match without regard to case, a page
// that spells one twice is refused, a null link is no link, and a link that
// is not a string is malformed.
func TestDecodePageMembers(t *testing.T) {
	for _, c := range []struct {
		body, next, delta string
		ids               int
		err               string
	}{
		{body: `{"Value":[{"id":"1"}],"@ODATA.NEXTLINK":"https://g/next"}`, next: "https://g/next", ids: 1},
		{body: `{"value":[],"@odata.deltaLink":"https://g/delta","@odata.nextLink":null}`, delta: "https://g/delta"},
		{body: `{"value":[{"id":"1"}],"Value":[]}`, err: `both "Value" and "value"`},
		{body: `{"value":[],"@odata.nextLink":"a","@odata.NextLink":"b"}`, err: "both"},
		{body: `{"value":[],"@odata.nextLink":7}`, err: "@odata.nextLink is not a string"},
		{body: `{"value":{}}`, err: `"value" is not a list`},
		{body: `{"value":[{"id":"1"}]} ]`, err: "trailing data"},
	} {
		p, err := decodePage([]byte(c.body))
		if c.err != "" {
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want ErrMalformed mentioning %q", c.body, err, c.err)
			}
			continue
		}
		if err != nil || p.NextLink != c.next || p.DeltaLink != c.delta || len(p.Value) != c.ids {
			t.Errorf("%s: page %+v, %v", c.body, p, err)
		}
	}
}
