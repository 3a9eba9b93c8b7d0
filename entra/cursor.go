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

// encode returns the delta link that carries c.
func (c *cursor) encode() (string, error) {
	return startCursor(c).finish(c.U)
}

// cursorWriter encodes a cursor in two steps: everything but the users'
// delta link first, so that a full read can encode and compress the scope
// while the users are still being listed, then the link. The link is the
// last member of the JSON object; member order does not matter to the
// decoder, so links of either order decode alike.
type cursorWriter struct {
	buf bytes.Buffer
	zw  *gzip.Writer
	err error
}

// startCursor writes c, but for its U, as the open start of a JSON object.
func startCursor(c *cursor) *cursorWriter {
	w := &cursorWriter{}
	w.zw, _ = gzip.NewWriterLevel(&w.buf, gzip.BestSpeed)
	b, err := json.Marshal(cursorHead(*c))
	if err != nil {
		w.err = err
		return w
	}
	_, w.err = w.zw.Write(b[:len(b)-1]) // without the closing brace
	return w
}

// cursorHead is a cursor without its users' delta link, which
// cursorWriter.finish adds: the field stays, so that a cursor converts to
// a cursorHead, but is never encoded.
type cursorHead struct {
	V   int                   `json:"v"`
	SP  string                `json:"sp"`
	Cfg string                `json:"cfg"`
	U   string                `json:"-"`
	G   string                `json:"g"`
	AU  map[string][]string   `json:"au"`
	AG  map[string][]string   `json:"ag"`
	M   map[string]membership `json:"m"`
}

// finish adds the users' delta link u, ends the object and returns the
// delta link that carries the cursor.
func (w *cursorWriter) finish(u string) (string, error) {
	if w.err == nil {
		var q []byte
		if q, w.err = json.Marshal(u); w.err == nil {
			_, w.err = fmt.Fprintf(w.zw, `,"u":%s}`, q)
		}
	}
	if w.err == nil {
		w.err = w.zw.Close()
	}
	if w.err != nil {
		return "", fmt.Errorf("entra: encode delta link: %w", w.err)
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(w.buf.Bytes()), nil
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
