package druvascim_test

import (
	"fmt"
	"testing"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/mapping"
)

// BenchmarkPrepare10k maps 10,000 objects through the Druva default set,
// which reads IsSoftDeleted (supplied from the objects' field).
func BenchmarkPrepare10k(b *testing.B) {
	objs := make([]druvascim.Object, 10_000)
	for i := range objs {
		upn := fmt.Sprintf("user%05d@contoso.example", i)
		objs[i] = druvascim.Object{ID: fmt.Sprintf("id-%05d", i), Assigned: true, Attributes: map[string]any{
			"userPrincipalName": upn, "mail": upn, "displayName": fmt.Sprintf("User %05d", i), "givenName": "User",
			"surname": fmt.Sprint(i), "mailNickname": fmt.Sprintf("user%05d", i), "department": "Engineering", "companyName": "Contoso"}}
	}
	set := mapping.DruvaDefault()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := druvascim.Prepare(b.Context(), set, objs); err != nil {
			b.Fatal(err)
		}
	}
}
