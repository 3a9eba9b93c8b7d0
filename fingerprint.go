package druvascim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/druvascim/druvascim/mapping"
)

// scopeFingerprinter is the optional interface of a [Source] whose scope
// setting decides which objects it returns (entra.Reader has it: "sync
// only assigned users" or "sync all users", Default Access included or
// not): a change of it restarts the job like a change of the mappings.
type scopeFingerprinter interface{ ScopeFingerprint() string }

// The parts of a configuration fingerprint ([State].Fingerprint), with the
// words a summary uses when one changed.
var fingerprintParts = []struct{ key, changed string }{
	{"mappings", "mapping changed"},
	{"scope", "scoping filter changed"},
	{"source", "scope setting changed"},
}

// fingerprint identifies the configuration a cycle evaluates objects with:
// the mapping set (its mappings and required attributes), its scoping
// filter, and the source's scope setting when the source tells it. Entra
// restarts a job whose mappings or scoping filters change
// (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works);
// the Syncer reads everything once instead.
func fingerprint(set *mapping.Set, src Source) string {
	sum := func(v any) string {
		b, _ := json.Marshal(v) // plain data: mappings, clauses, strings
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:8])
	}
	scope := ""
	if f, ok := src.(scopeFingerprinter); ok {
		scope = f.ScopeFingerprint()
	}
	vals := []string{
		sum([]any{set.Object(), set.Mappings(), set.Required()}),
		sum(set.Scope()),
		sum(scope),
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fingerprintParts[i].key + "=" + v
	}
	return strings.Join(parts, ";")
}

// fingerprintChange names what differs between a stored fingerprint and
// the current one ("mapping changed"); empty when nothing does or nothing
// was stored (a state from before fingerprints, or a first cycle).
func fingerprintChange(stored, current string) string {
	if stored == "" || stored == current {
		return ""
	}
	old, cur := strings.Split(stored, ";"), strings.Split(current, ";")
	var changed []string
	for i, p := range fingerprintParts {
		if i >= len(old) || i >= len(cur) || old[i] != cur[i] {
			changed = append(changed, p.changed)
		}
	}
	if len(changed) == 0 {
		return "configuration changed"
	}
	return strings.Join(changed, ", ")
}
