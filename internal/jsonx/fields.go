package jsonx

import (
	"fmt"
	"strings"
)

// Fields returns the values of the members of m named names, matched the
// way encoding/json matches struct fields: without regard to case. vals[i]
// is the value of names[i], nil when the member is absent (or null).
//
// An object that spells one name two ways ("Resources" and "resources") is
// refused with an error naming both: encoding/json would keep whichever
// came last, and a decoded map no longer knows the order.
func Fields(m map[string]any, names ...string) (vals []any, err error) {
	vals = make([]any, len(names))
	keys := make([]string, len(names))
	for k, v := range m {
		for i, name := range names {
			if !strings.EqualFold(k, name) {
				continue
			}
			if keys[i] != "" {
				return nil, fmt.Errorf("both %q and %q", min(keys[i], k), max(keys[i], k))
			}
			keys[i], vals[i] = k, v
			break
		}
	}
	return vals, nil
}
