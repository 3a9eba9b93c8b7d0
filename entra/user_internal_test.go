package entra

import "testing"

// TestGuestUPN: a guest's "#EXT#" name becomes the address it was invited
// with, whatever the marker's letter case, and the name Graph holds stays
// in originalUserPrincipalName; other names are left alone.
func TestGuestUPN(t *testing.T) {
	for _, c := range []struct{ upn, want string }{
		{"ann_contoso.com#EXT#@fabrikam.onmicrosoft.com", "ann@contoso.com"},
		{"ann_contoso.com#ext#@fabrikam.onmicrosoft.com", "ann@contoso.com"},
		{"a#b_contoso.com#Ext#@fabrikam.onmicrosoft.com", "a#b@contoso.com"},
		// A letter whose upper case is shorter in UTF-8 (ı, 2 bytes; I, 1)
		// before the marker: the cut is made in the name itself.
		{"ıl_contoso.com#EXT#@fabrikam.onmicrosoft.com", "ıl@contoso.com"},
		{"bob@fabrikam.com", "bob@fabrikam.com"},
		{"#EXT#@fabrikam.onmicrosoft.com", "#EXT#@fabrikam.onmicrosoft.com"},
		{"nounderscore#EXT#@fabrikam.onmicrosoft.com", "nounderscore#EXT#@fabrikam.onmicrosoft.com"},
		{"ann_contoso.com#EXT", "ann_contoso.com#EXT"},
	} {
		attrs := map[string]any{"userPrincipalName": c.upn}
		guestUPN(attrs)
		if got := attrs["userPrincipalName"]; got != c.want || attrs[attrOriginalUPN] != c.upn {
			t.Errorf("guestUPN(%q) = %q, original %q; want %q, original %q", c.upn, got, attrs[attrOriginalUPN], c.want, c.upn)
		}
	}
}

func BenchmarkGuestUPN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		guestUPN(map[string]any{"userPrincipalName": "ann.example@fabrikam.onmicrosoft.com"})
	}
}
