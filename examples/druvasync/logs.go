package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/internal/logstore"
	"github.com/druvascim/druvascim/internal/service"
	"github.com/druvascim/druvascim/internal/statuspage"
)

// logDBFlags name the provisioning-log database to read: --log-db, or the
// one next to --state (from the flag or the configuration file).
type logDBFlags struct {
	config, state, logDB, tenant string
}

func (f *logDBFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "configuration `FILE` whose state: names the state file")
	fs.StringVar(&f.state, "state", "", "state `FILE`; the log database is next to it (STATE without its extension, plus .log.db)")
	fs.StringVar(&f.logDB, "log-db", "", "provisioning-log database `FILE` (default: next to the state)")
	fs.StringVar(&f.tenant, "tenant", "", "only the cycles of this `TENANT` (the service's name for it); with --config, the tenant whose state names the log")
}

// open opens the database read-only: it works beside a running service or
// sync (SQLite WAL), and changes nothing.
func (f *logDBFlags) open(ctx context.Context) (*logstore.SQLite, error) {
	path := f.logDB
	if path == "" {
		state := f.state
		if state == "" && f.config != "" {
			var err error
			if state, err = opStatePath(f.config, "", f.tenant); err != nil {
				return nil, err
			}
		}
		if path = service.LogPath(state); path == "" {
			return nil, badInput("say which log to read with --state FILE (the log is next to it), --config FILE or --log-db FILE")
		}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, badInput("no provisioning log at %s: a sync with --state, or the service, writes it", path)
	}
	s, err := logstore.Open(ctx, path, logstore.WithReadOnly())
	if err != nil {
		return nil, badInput("cannot read the provisioning log %s: %v", path, err)
	}
	return s, nil
}

func logsCommand() command {
	return command{
		name:    "logs",
		args:    "[--state FILE | --log-db FILE] [--user U] [--action A] [--status S] [--reason R] [--since T] [--until T] [--cycle N] [--json|--csv] [--follow]",
		summary: "search the provisioning log (one entry per object and cycle)",
		help: `
Reads the provisioning-log database that sync and the service write next to
the state, with or without a running service, and prints the entries that
match every filter given, newest first: a table, JSON lines (--json) or CSV
(--csv). Unchanged users have no entry. --follow prints the last entries, then
each new one as it is written, until Ctrl-C.

Times (--since, --until) are RFC 3339, a date, or an age: 2026-05-01T09:00:00Z,
2026-05-01, 24h, 7d.

Examples:
  druvasync logs --state druva-state.json --user alice@contoso.com
  druvasync logs --state druva-state.json --status Failure --since 24h
  druvasync logs --state druva-state.json --action Disable --csv > disabled.csv
  druvasync logs --config druvasync.yaml --follow`,
		run: runLogs,
	}
}

// logsFlags are the filters and output of logs.
type logsFlags struct {
	db                                         logDBFlags
	user, action, status, reason, since, until string
	cycle                                      int64
	limit                                      int
	jsonOut, csvOut, follow                    bool
}

func runLogs(ctx context.Context, env *environment, args []string) int {
	c := logsCommand()
	fset := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var f logsFlags
	f.db.register(fset)
	fset.StringVar(&f.user, "user", "", "display name, userPrincipalName (UPN), source (Entra object) id or Druva id, any case")
	fset.StringVar(&f.action, "action", "", "Create, Update, Disable, Delete, StagedDelete or Skip")
	fset.StringVar(&f.status, "status", "", "Success, Failure, Skipped or Warning")
	fset.StringVar(&f.reason, "reason", "", "skip reason or error code (for example HttpConflict)")
	fset.StringVar(&f.since, "since", "", "entries at or after `TIME` (RFC 3339, a date, or an age such as 24h or 7d)")
	fset.StringVar(&f.until, "until", "", "entries before `TIME`")
	fset.Int64Var(&f.cycle, "cycle", 0, "entries of one cycle (its number in druvasync cycles)")
	fset.IntVar(&f.limit, "limit", 100, "at most `N` entries")
	fset.BoolVar(&f.jsonOut, "json", false, "print JSON lines")
	fset.BoolVar(&f.csvOut, "csv", false, "print CSV")
	fset.BoolVar(&f.follow, "follow", false, "keep printing new entries until interrupted")
	if status, ok := parseFlags(env, c, fset, args); !ok {
		return status
	}
	q, err := f.query(time.Now())
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	store, err := f.db.open(ctx)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	defer store.Close()
	out := newEntryWriter(env.stdout, f.jsonOut, f.csvOut)
	if err := f.print(ctx, store, q, out); err != nil {
		return fail(env, c.name, exitFailures, err)
	}
	return exitConverged
}

// query checks the filters and builds the store's query.
func (f *logsFlags) query(now time.Time) (logstore.Query, error) {
	var err error
	q := logstore.Query{User: f.user, Reason: f.reason, CycleID: f.cycle, Tenant: f.db.tenant, Limit: f.limit}
	if f.jsonOut && f.csvOut {
		return q, badInput("--json and --csv: choose one")
	}
	if f.limit < 1 || f.limit > logstore.MaxLimit {
		return q, badInput("--limit must be between 1 and %d, not %d", logstore.MaxLimit, f.limit)
	}
	if f.cycle < 0 {
		return q, badInput("--cycle must be a cycle number, not %d", f.cycle)
	}
	actions := []druvascim.Action{druvascim.ActionCreate, druvascim.ActionUpdate, druvascim.ActionDisable,
		druvascim.ActionDelete, druvascim.ActionStagedDelete, druvascim.ActionSkip}
	if q.Action, err = oneOf("--action", f.action, actions); err != nil {
		return q, err
	}
	statuses := []druvascim.Status{druvascim.StatusSuccess, druvascim.StatusFailure, druvascim.StatusSkipped, druvascim.StatusWarning}
	if q.Status, err = oneOf("--status", f.status, statuses); err != nil {
		return q, err
	}
	if q.Since, err = statuspage.ParseTime(f.since, now); err != nil {
		return q, badInput("--since: %v", err)
	}
	if q.Until, err = statuspage.ParseTime(f.until, now); err != nil {
		return q, badInput("--until: %v", err)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, badInput("--since must be before --until")
	}
	return q, nil
}

// oneOf returns the value of vals that s names, ignoring case; "" for "".
func oneOf[T ~string](flagName, s string, vals []T) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, v := range vals {
		if strings.EqualFold(s, string(v)) {
			return string(v), nil
		}
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = string(v)
	}
	return "", badInput("%s %q: use one of %s", flagName, s, strings.Join(names, ", "))
}

// print writes one page of entries, newest first; with --follow, the page
// oldest first and then every new entry until ctx ends.
func (f *logsFlags) print(ctx context.Context, store logstore.Store, q logstore.Query, out *entryWriter) error {
	var page []logstore.Entry
	for e, err := range store.Entries(ctx, q) {
		if err != nil {
			return err
		}
		page = append(page, e)
	}
	if !f.follow {
		for _, e := range page {
			out.write(e)
		}
		return out.flush()
	}
	slices.Reverse(page)
	var after int64
	for _, e := range page {
		out.write(e)
		after = e.ID
	}
	if err := out.flush(); err != nil {
		return err
	}
	if after == 0 {
		after = lastID(ctx, store)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for e, err := range store.Follow(ctx, q, after, tick.C) {
		if err != nil {
			return err
		}
		out.write(e)
		if err := out.flush(); err != nil {
			return err
		}
	}
	return nil
}

// lastID is the id of the newest entry, so that follow without a match
// so far starts from now.
func lastID(ctx context.Context, store logstore.Store) int64 {
	for e, err := range store.Entries(ctx, logstore.Query{Limit: 1}) {
		if err == nil {
			return e.ID
		}
	}
	return 0
}

// entryWriter prints entries as a table, JSON lines or CSV.
type entryWriter struct {
	w      io.Writer
	tw     *tabwriter.Writer
	cw     *csv.Writer
	enc    *json.Encoder
	header bool
}

func newEntryWriter(w io.Writer, asJSON, asCSV bool) *entryWriter {
	ew := &entryWriter{w: w}
	switch {
	case asJSON:
		ew.enc = json.NewEncoder(w)
	case asCSV:
		ew.cw = csv.NewWriter(w)
	default:
		ew.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	}
	return ew
}

func (ew *entryWriter) write(e logstore.Entry) {
	switch {
	case ew.enc != nil:
		_ = ew.enc.Encode(e) // a write error shows at flush
	case ew.cw != nil:
		if !ew.header {
			_ = ew.cw.Write([]string{"id", "cycle", "time", "displayName", "userName", "sourceId", "druvaId",
				"action", "status", "reason", "errorCode", "message", "modified"})
			ew.header = true
		}
		var mods []string
		for _, m := range e.Modified {
			mods = append(mods, modText(m))
		}
		_ = ew.cw.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.CycleID, 10), e.Time.Format(time.RFC3339),
			cell(e.DisplayName), cell(e.UserName), cell(e.SourceID), cell(e.DruvaID), e.Action, e.Status,
			cell(e.Reason), cell(e.ErrorCode), cell(e.Message), cell(strings.Join(mods, "; "))})
	default:
		if !ew.header {
			fmt.Fprintln(ew.tw, "TIME\tCYCLE\tUSER\tACTION\tSTATUS\tREASON/ERROR\tCHANGES")
			ew.header = true
		}
		who := cmp.Or(e.UserName, e.DisplayName, e.SourceID, e.DruvaID)
		var mods []string
		for _, m := range e.Modified {
			mods = append(mods, modText(m))
		}
		fmt.Fprintf(ew.tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Time.Format("2006-01-02 15:04:05"), e.CycleID, oneLine(who),
			e.Action, e.Status, oneLine(cmp.Or(e.ErrorCode, e.Reason)), oneLine(strings.Join(mods, "; ")))
	}
}

func (ew *entryWriter) flush() error {
	switch {
	case ew.cw != nil:
		ew.cw.Flush()
		return ew.cw.Error()
	case ew.tw != nil:
		return ew.tw.Flush()
	}
	return nil
}

func modText(m logstore.PropertyChange) string {
	if m.Redacted {
		return m.Path + ": (redacted)"
	}
	return m.Path + ": " + cmp.Or(m.Old, "(none)") + " → " + cmp.Or(m.New, "(none)")
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// cell defuses CSV cells a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
