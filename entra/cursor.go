package entra

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// cursorPrefix starts every delta link this package returns.
const cursorPrefix = "entra-cursor-v1."

// maxCursor bounds the size of a delta link accepted by Read (64 MiB
// decoded), so a corrupt one cannot exhaust memory.
const maxCursor = 64 << 20

// cursor is the state an incremental read needs, carried in the delta link
// the caller stores. Format (documented in doc.go): the prefix
// "entra-cursor-v1." followed by base64url (no padding) of the gzip of this
// struct as JSON.
type cursor struct {
	V   int    `json:"v"`   // format version, 1
	SP  string `json:"sp"`  // service principal object id
	Cfg string `json:"cfg"` // fingerprint of the options that shape scope and attributes
	U   string `json:"u"`   // Graph users/delta deltaLink
	G   string `json:"g"`   // Graph groups/delta deltaLink
	// AU and AG are the app-role assignments read last time: principal id
	// → app role ids, for users and for groups.
	AU map[string][]string `json:"au"`
	AG map[string][]string `json:"ag"`
	// M is the membership of each assigned group read last time.
	M map[string]membership `json:"m"`
}

// membership is the users of one assigned group (direct members, or
// members at any depth with nested expansion) and the nested groups seen.
type membership struct {
	Users  []string `json:"u"`
	Nested []string `json:"n,omitempty"`
}

func (c *cursor) encode() (string, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := json.NewEncoder(zw).Encode(c); err != nil {
		return "", fmt.Errorf("entra: encode delta link: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("entra: encode delta link: %w", err)
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

func decodeCursor(s string) (*cursor, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: missing prefix %q", ErrBadDeltaLink, cursorPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadDeltaLink, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadDeltaLink, err)
	}
	var c cursor
	dec := json.NewDecoder(io.LimitReader(zr, maxCursor))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadDeltaLink, err)
	}
	if c.V != 1 || c.SP == "" || c.U == "" || c.G == "" {
		return nil, fmt.Errorf("%w: incomplete or unknown version %d", ErrBadDeltaLink, c.V)
	}
	return &c, nil
}

// fingerprint identifies the options a cursor was made with; a cursor from
// other options forces a full read.
func (r *Reader) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%v|%v", strings.Join(r.cfg.attrs, ","), r.cfg.nested, r.cfg.defaultAccess)
	if r.cfg.all {
		fmt.Fprint(h, "|all") // absent before the option existed: older links stay valid
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
