package logstore

import (
	"regexp"
	"slices"
	"strings"
)

// Mask replaces whatever looks like a credential in stored text.
const Mask = "[masked]"

// tokenShapes match credentials that must never reach the database even
// if a caller forgot to mask them: an HTTP bearer credential, and a JWT
// (three base64url parts, the first starting with `{"`).
var tokenShapes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
}

func scrub(s string) string {
	if !containsFold(s, "bearer") && !strings.Contains(s, "eyJ") {
		return s // the common case: no regexp to run
	}
	for i, re := range tokenShapes {
		if i == 0 {
			s = re.ReplaceAllString(s, "${1} "+Mask)
			continue
		}
		s = re.ReplaceAllString(s, Mask)
	}
	return s
}

// containsFold reports whether s holds the ASCII word sub in any case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// scrubEntry returns e with every text field scrubbed and the values of
// redacted properties dropped; e's slices are not modified.
func scrubEntry(e Entry) Entry {
	for _, p := range []*string{&e.ChangeID, &e.SourceID, &e.DruvaID, &e.DisplayName,
		&e.UserName, &e.Reason, &e.ErrorCode, &e.Message, &e.Detail} {
		*p = scrub(*p)
	}
	e.Steps = slices.Clone(e.Steps)
	for i := range e.Steps {
		e.Steps[i].Detail = scrub(e.Steps[i].Detail)
	}
	e.Modified = slices.Clone(e.Modified)
	for i, m := range e.Modified {
		if m.Redacted {
			m.Old, m.New = "", ""
		}
		m.Old, m.New = scrub(m.Old), scrub(m.New)
		e.Modified[i] = m
	}
	return e
}
