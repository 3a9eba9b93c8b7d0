package entratest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// DefaultAccessRoleID is the appRoleId of the "Default Access" assignment:
// an assignment to the application without a specific app role.
const DefaultAccessRoleID = "00000000-0000-0000-0000-000000000000"

// Object states of a user.
const (
	stateLive = iota
	stateSoftDeleted
	statePurged
)

// user is one directory user. props holds every Graph property except id.
type user struct {
	id      string
	props   map[string]any
	state   int
	born    uint64            // seq when created or last restored
	propVer map[string]uint64 // seq of the last change of each property changed after birth
	delSeq  uint64            // seq of the soft delete or purge
}

type member struct {
	id    string
	group bool
}

type memberEvent struct {
	seq     uint64
	m       member
	removed bool
}

// group is one directory group.
type group struct {
	id       string
	props    map[string]any
	born     uint64
	propVer  map[string]uint64
	members  []member
	isMember map[string]bool
	log      []memberEvent
	state    int
	delSeq   uint64
}

// assignment is one appRoleAssignment to the Druva service principal.
type assignment struct {
	id            string
	appRoleID     string
	principalID   string
	principalType string // "User" or "Group"
	created       time.Time
	removed       bool
}

// AppRole is one app role of the fake Druva service principal.
type AppRole struct {
	ID          string `json:"id"`
	Value       string `json:"value"`
	DisplayName string `json:"displayName"`
}

// Assignment is an app-role assignment as the fake holds it.
type Assignment struct {
	ID            string
	AppRoleID     string
	PrincipalID   string
	PrincipalType string // "User" or "Group"
}

// vocab holds the word lists the tenant is generated from.
type vocab struct {
	givenNames, surnames, departments, companies, titles, cities, countries, languages, guestDoms []string
}

// vocabulary returns fresh word lists (no package-level tables).
func vocabulary() vocab {
	givenNames := []string{
		"José", "Zoë", "Łukasz", "Søren", "Björk", "François", "Anaïs", "Çağrı", "Dvořák", "Ines",
		"Mårten", "Renée", "Siân", "Thị", "Åsa", "Jürgen", "Noémie", "Oğuz", "Paweł", "Žofia",
		"Aoife", "Chloé", "Emma", "Liam", "Olivia", "Noah", "Amelia", "Mateo", "Yuki", "Priya",
		"Mohammed", "Fatima", "Wei", "Sofia", "Lucas", "Hannah", "Ethan", "Mia", "Arjun", "Nora",
	}
	surnames := []string{
		"García", "Müller", "O'Brien", "Nguyễn", "Kowalski", "Ødegaard", "Šimůnek", "Da Silva",
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Martínez", "Hernández",
		"López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee",
		"Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"D'Angelo", "van der Berg", "Zhang", "Wang", "Ivanova",
	}
	departments := []string{"Engineering", "Sales", "Finance", "Human Resources", "Legal", "Marketing", "Support", "Operations", "R&D", "IT"}
	companies := []string{"Contoso", "Contoso Europe", "Fabrikam", "Northwind Traders"}
	titles := []string{"Engineer", "Senior Engineer", "Manager", "Director", "Analyst", "Consultant", "Intern", "Vice President", "Architect", "Specialist"}
	cities := []string{"Seattle", "München", "São Paulo", "Kraków", "Zürich", "Dublin", "Pune", "Tokyo", "Paris", "Oslo"}
	countries := []string{"United States", "Germany", "Brazil", "Poland", "Switzerland", "Ireland", "India", "Japan", "France", "Norway"}
	languages := []string{"en-US", "de-DE", "pt-BR", "pl-PL", "fr-FR", "ja-JP", "nb-NO"}
	guestDoms := []string{"partner.example", "gmail.example", "fabrikam.example"}
	return vocab{givenNames, surnames, departments, companies, titles, cities, countries, languages, guestDoms}
}

// uuidFrom formats 16 random bytes from r as a version-4 UUID.
func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	a, c := r.Uint64(), r.Uint64()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// assignmentIDFrom makes an opaque assignment id shaped like Graph's.
func assignmentIDFrom(r *rand.Rand) string {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// asciiFold removes diacritics and anything but letters and digits, lowercased.
func asciiFold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	var b strings.Builder
	for _, c := range strings.ToLower(out) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == 'ł':
			b.WriteByte('l')
		case c == 'ø':
			b.WriteByte('o')
		case c == 'ı':
			b.WriteByte('i')
		}
	}
	return b.String()
}

// generate fills the tenant deterministically from the seed: the service
// principal and its roles, the users, the groups and the assignments, in
// that order from one generator.
func (s *Server) generate(cfg *config) {
	r := rand.New(rand.NewPCG(cfg.seed, 0x5eed_0f_e47a))
	base := time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)

	s.spID = uuidFrom(r)
	s.appID = uuidFrom(r)
	s.roles = []AppRole{
		{ID: uuidFrom(r), Value: "User", DisplayName: "User"},
		{ID: uuidFrom(r), Value: "Admin", DisplayName: "Administrator"},
	}
	v := vocabulary()
	s.generateUsers(cfg, r, v, base)
	s.generateGroups(cfg.groups, r, v)
	s.generateAssignments(r, base)
}

// generateUsers makes cfg.users users: most ordinary members, some without
// mail, disabled, guests, with a long display name or a sparse profile.
func (s *Server) generateUsers(cfg *config, r *rand.Rand, v vocab, base time.Time) {
	foldedGiven := make([]string, len(v.givenNames))
	for i, n := range v.givenNames {
		foldedGiven[i] = asciiFold(n)
	}
	foldedSur := make([]string, len(v.surnames))
	for i, n := range v.surnames {
		foldedSur[i] = asciiFold(n)
	}
	s.users = make([]*user, 0, cfg.users)
	s.userByID = make(map[string]*user, cfg.users)
	s.seq = 1
	for i := range cfg.users {
		gi, si := r.IntN(len(v.givenNames)), r.IntN(len(v.surnames))
		given, sur := v.givenNames[gi], v.surnames[si]
		nick := foldedGiven[gi] + "." + foldedSur[si] + strconv.Itoa(i)
		p := userProps(cfg, r, v, i, given, sur, nick, base)
		switch x := r.IntN(100); {
		case x < 5: // no mail
			p["mail"] = nil
		case x < 10: // disabled
			p["accountEnabled"] = false
		case x < 14: // guest: alias_theirdomain#EXT#@tenant, as Graph holds B2B users
			dom := v.guestDoms[r.IntN(len(v.guestDoms))]
			p["userType"] = "Guest"
			p["userPrincipalName"] = nick + "_" + dom + "#EXT#@" + cfg.domain
			p["mail"] = nick + "@" + dom
			p["employeeId"] = nil
			p["companyName"] = nil
		case x < 15: // long display name
			p["displayName"] = string([]rune(strings.Repeat(given+" "+sur+" ", 60))[:250]) + fmt.Sprint(i)
		case x < 18: // sparse profile
			p["department"] = nil
			p["jobTitle"] = nil
			p["givenName"] = nil
			p["surname"] = nil
			p["employeeId"] = nil
		}
		u := &user{id: uuidFrom(r), props: p, born: 1}
		s.users = append(s.users, u)
		s.userByID[u.id] = u
	}
}

// userProps are the properties of the i-th generated user, an ordinary
// member (the list [Server.Attributes] returns).
func userProps(cfg *config, r *rand.Rand, v vocab, i int, given, sur, nick string, base time.Time) map[string]any {
	return map[string]any{
		"givenName":         given,
		"surname":           sur,
		"displayName":       given + " " + sur,
		"mailNickname":      nick,
		"userPrincipalName": nick + "@" + cfg.domain,
		"mail":              nick + "@" + cfg.domain,
		"department":        v.departments[r.IntN(len(v.departments))],
		"companyName":       v.companies[r.IntN(len(v.companies))],
		"jobTitle":          v.titles[r.IntN(len(v.titles))],
		"accountEnabled":    true,
		"employeeId":        fmt.Sprintf("E%06d", i+1),
		"userType":          "Member",
		"city":              v.cities[r.IntN(len(v.cities))],
		"country":           v.countries[r.IntN(len(v.countries))],
		"officeLocation":    fmt.Sprintf("Building %d", 1+r.IntN(40)),
		"preferredLanguage": v.languages[r.IntN(len(v.languages))],
		"usageLocation":     "US",
		"mobilePhone":       fmt.Sprintf("+1 206 555 %04d", r.IntN(10000)),
		"businessPhones":    []any{fmt.Sprintf("+1 425 555 %04d", r.IntN(10000))},
		"createdDateTime":   base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
	}
}

// generateGroups makes ng security groups named after departments; every
// user is a member of one, a fifth of them of a second, and every fourth
// group contains the group before it.
func (s *Server) generateGroups(ng int, r *rand.Rand, v vocab) {
	s.groups = make([]*group, 0, ng)
	s.groupByID = make(map[string]*group, ng)
	for i := range ng {
		name := fmt.Sprintf("%s %d", v.departments[i%len(v.departments)], i)
		g := &group{
			id: uuidFrom(r),
			props: map[string]any{
				"displayName":     name,
				"mailNickname":    asciiFold(name),
				"securityEnabled": true,
				"mailEnabled":     false,
				"description":     "Generated group " + name,
			},
			born:     1,
			isMember: map[string]bool{},
		}
		s.groups = append(s.groups, g)
		s.groupByID[g.id] = g
	}
	if ng == 0 {
		return
	}
	for i, u := range s.users {
		s.groups[i%ng].addMember(member{id: u.id}, 1)
		if r.IntN(5) == 0 {
			s.groups[r.IntN(ng)].addMember(member{id: u.id}, 1)
		}
	}
	for i := 3; i < ng; i += 4 {
		s.groups[i].addMember(member{id: s.groups[i-1].id, group: true}, 1)
	}
}

// generateAssignments assigns users (40 % User, 5 % Default Access, 2 %
// Admin and User) and groups (a third User, some Default Access, some
// Admin) to the app.
func (s *Server) generateAssignments(r *rand.Rand, base time.Time) {
	userRole, adminRole := s.roles[0].ID, s.roles[1].ID
	s.assignByID = map[string]*assignment{}
	add := func(role, principal, typ string, at time.Time) {
		a := &assignment{id: assignmentIDFrom(r), appRoleID: role, principalID: principal, principalType: typ, created: at}
		s.assigns = append(s.assigns, a)
		s.assignByID[a.id] = a
	}
	for i, u := range s.users {
		at := base.Add(time.Duration(i) * time.Minute)
		switch x := r.IntN(100); {
		case x < 40:
			add(userRole, u.id, "User", at)
		case x < 45:
			add(DefaultAccessRoleID, u.id, "User", at)
		case x < 47:
			add(adminRole, u.id, "User", at)
			add(userRole, u.id, "User", at)
		}
	}
	for i, g := range s.groups {
		at := base.Add(time.Duration(i) * time.Hour)
		switch {
		case i%3 == 0:
			add(userRole, g.id, "Group", at)
		case i%7 == 1:
			add(DefaultAccessRoleID, g.id, "Group", at)
		case i%4 == 3:
			add(adminRole, g.id, "Group", at)
		}
	}
}

func (g *group) addMember(m member, seq uint64) bool {
	if g.isMember[m.id] {
		return false
	}
	g.isMember[m.id] = true
	g.members = append(g.members, m)
	if seq > 1 {
		g.log = append(g.log, memberEvent{seq: seq, m: m})
	}
	return true
}

func (g *group) removeMember(id string, seq uint64) bool {
	if !g.isMember[id] {
		return false
	}
	delete(g.isMember, id)
	for i, m := range g.members {
		if m.id == id {
			g.log = append(g.log, memberEvent{seq: seq, m: m, removed: true})
			g.members = append(g.members[:i:i], g.members[i+1:]...)
			break
		}
	}
	return true
}
