package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/mapping"
)

// maxConfigSize bounds a configuration file.
const maxConfigSize = 4 << 20

// defaultConcurrency is how many operations a cycle applies at once when
// neither --concurrency nor the file says.
const defaultConcurrency = 8

// defaultCycleTimeout is the default of --timeout: long enough for an
// initial sync of tens of thousands of users at Druva's rate, short enough
// that a hung run ends before the next scheduled one.
const defaultCycleTimeout = 30 * time.Minute

// fileConfig is the optional configuration file of sync, plan and provision,
// in YAML or JSON (read by the YAML decoder, JSON being YAML). Flags given on
// the command line win over the file.
//
//	druvaURL: https://apis.druva.com/insync/scim
//	graphURL: https://graph.microsoft.com
//	servicePrincipalId: 0f1c…   # or appId
//	scope: assigned             # or all: Entra's "Sync all users and groups"
//	includeDefaultAccess: false
//	expandNestedGroups: false
//	mappings: mappings.yaml     # a mapping file, or the mapping set inline
//	maxDeletes: 500             # Entra's accidental deletions threshold (0: none)
//	allowDeletes: false
//	skipOutOfScopeDeletions: false
//	targetObjectActions: {create: true, update: true, delete: true}
//	maxSourceShrink: 0.5
//	skipOutOfScopeDeletions: false  # Entra's SkipOutOfScopeDeletions
//	targetObjectActions:        # Entra's Target Object Actions
//	  create: true
//	  update: true
//	  delete: true              # false: no disables or deletes at all
//	holdEverything: false       # a hold keeps back the whole cycle, not only its disables
//	notificationEmail: ops@contoso.example   # where the service sends failure notices
//	concurrency: 8
//	rate: 20
//	timeout: 30m                # the whole cycle (0: none)
//	requestTimeout: 2m          # one request, body included
//	state: druvasync-state.json
//	log: provisioning.jsonl
type fileConfig struct {
	DruvaURL             string    `yaml:"druvaURL"`
	GraphURL             string    `yaml:"graphURL"`
	ServicePrincipalID   string    `yaml:"servicePrincipalId"`
	AppID                string    `yaml:"appId"`
	Scope                string    `yaml:"scope"`
	IncludeDefaultAccess bool      `yaml:"includeDefaultAccess"`
	ExpandNestedGroups   bool      `yaml:"expandNestedGroups"`
	Mappings             yaml.Node `yaml:"mappings"`
	MaxDeletes           *int      `yaml:"maxDeletes"`
	AllowDeletes         bool      `yaml:"allowDeletes"`
	MaxSourceShrink      *float64  `yaml:"maxSourceShrink"`
	Concurrency          *int      `yaml:"concurrency"`
	Rate                 *float64  `yaml:"rate"`
	State                string    `yaml:"state"`
	Log                  string    `yaml:"log"`

	// SkipOutOfScopeDeletions is Entra's "skip out-of-scope deletions".
	SkipOutOfScopeDeletions bool `yaml:"skipOutOfScopeDeletions"`
	// TargetObjectActions are Entra's target object actions; an action
	// left out stays on.
	TargetObjectActions *objectActions `yaml:"targetObjectActions"`
	// HoldEverything: a hold keeps back the whole cycle, not only its
	// disables and deletes.
	HoldEverything bool `yaml:"holdEverything"`
	// NotificationEmail is Entra's "send an email notification when a
	// failure occurs": the address the service notifies. sync only checks
	// it.
	NotificationEmail string `yaml:"notificationEmail"`
	// Timeout and RequestTimeout are Go durations ("30m", "2m30s").
	Timeout        string `yaml:"timeout"`
	RequestTimeout string `yaml:"requestTimeout"`
}

// objectActions are Entra's target object actions (Create, Update,
// Delete), each on unless set to false.
type objectActions struct {
	Create *bool `yaml:"create"`
	Update *bool `yaml:"update"`
	Delete *bool `yaml:"delete"`
}

// syncFlags are the inputs shared by sync, plan, provision and
// test-connection.
type syncFlags struct {
	config             string
	druvaURL           string
	graphURL           string
	servicePrincipalID string
	appID              string
	state              string
	log                string
	logDB              string
	jsonOut            bool
	dryRun             bool
	maxDeletes         int
	approveDeletes     bool
	allowDeletes       bool
	concurrency        int
	rate               float64
	rateGiven          bool // --rate or the config's rate: a ceiling; else the client learns Druva's limit
	fullRead           bool
	scope              string // assigned or all
	defaultAccess      bool
	skipOutOfScope     bool
	actions            string // the target object actions that are on: create,update,delete
	timeout            time.Duration
	requestTimeout     time.Duration
	holdEverything     bool

	set *mapping.Set // from the config file; nil means the Druva default set
	// fileCfg holds what the file said, for values with no flag.
	fileCfg fileConfig
}

func (f *syncFlags) register(fs *flag.FlagSet, withApply bool) {
	fs.StringVar(&f.config, "config", "", "configuration `FILE` (YAML or JSON): mappings, scoping filters, policies")
	fs.StringVar(&f.druvaURL, "druva-url", druva.DefaultBaseURL, "Druva SCIM base `URL`")
	fs.StringVar(&f.graphURL, "graph-url", entra.DefaultGraphURL, "Microsoft Graph `URL`")
	fs.StringVar(&f.servicePrincipalID, "service-principal-id", "", "object `ID` of the Druva enterprise app's service principal")
	fs.StringVar(&f.appID, "app-id", "", "application `ID` of the Druva app (instead of --service-principal-id)")
	fs.StringVar(&f.state, "state", "", "state `FILE` kept between cycles (links, delta link, escrows)")
	fs.BoolVar(&f.jsonOut, "json", false, "print JSON instead of tables")
	fs.IntVar(&f.concurrency, "concurrency", defaultConcurrency, "operations applied at once")
	fs.Float64Var(&f.rate, "rate", 0, "ceiling on Druva requests per second (default: none, the client learns Druva's limit; 0: no client-side limit)")
	fs.IntVar(&f.maxDeletes, "max-deletes", 500, "hold the cycle when it would disable or delete more users (0: no limit)")
	fs.BoolVar(&f.approveDeletes, "approve-deletes", false, "apply a plan held by --max-deletes or a shrinking source")
	fs.BoolVar(&f.allowDeletes, "allow-deletes", false, "send DELETE for users hard-deleted in Entra (Druva preserves them)")
	fs.BoolVar(&f.fullRead, "full", false, "read the whole source even when a delta link is stored")
	fs.StringVar(&f.scope, "scope", "assigned", "which Entra users are in scope: assigned (Sync only assigned users and groups) or all (Sync all users and groups)")
	fs.BoolVar(&f.defaultAccess, "include-default-access", false, "treat users assigned only the Default Access role as assigned")
	fs.BoolVar(&f.skipOutOfScope, "skip-out-of-scope-deletions", false, "leave Druva users alone when their Entra users leave the scope (Entra's SkipOutOfScopeDeletions)")
	fs.StringVar(&f.actions, "actions", "create,update,delete", "the target object actions that are on, comma-separated (Entra's Create, Update, Delete)")
	fs.DurationVar(&f.timeout, "timeout", defaultCycleTimeout, "end the cycle after this long, saving what it did (0: no limit)")
	fs.DurationVar(&f.requestTimeout, "request-timeout", druva.DefaultRequestTimeout, "end one Druva or Graph request after this long, body included")
	fs.BoolVar(&f.holdEverything, "hold-everything", false, "when a safety rule holds, keep back the whole cycle instead of only its disables and deletes")
	if withApply {
		fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan the run would apply, write nothing")
		fs.StringVar(&f.logDB, "log-db", "", "record each cycle in the provisioning-log database `FILE` (default: next to --state, STATE without its extension plus .log.db; read it with druvasync logs and cycles)")
		fs.StringVar(&f.log, "log", "", "append the provisioning log to `FILE` (.csv for CSV, else JSON lines; a pipe or device is written to, never replaced)")
	}
}

// load reads the configuration file, if any, and fills what the flags left
// unset. set reports which flags were given on the command line.
func (f *syncFlags) load(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	f.rateGiven = given["rate"]
	if f.config == "" {
		return nil
	}
	data, err := readBounded(f.config)
	if err != nil {
		return err
	}
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("config file %s is malformed: %v", f.config, cleanYAMLError(err))
	}
	return f.apply(c, f.config, given)
}

// apply fills what the flags left unset (given names the flags set on the
// command line) from c, read from the file at configPath.
func (f *syncFlags) apply(c fileConfig, configPath string, given map[string]bool) error {
	f.fileCfg = c
	str := func(name string, dst *string, v string) {
		if !given[name] && v != "" {
			*dst = v
		}
	}
	str("druva-url", &f.druvaURL, c.DruvaURL)
	str("graph-url", &f.graphURL, c.GraphURL)
	str("service-principal-id", &f.servicePrincipalID, c.ServicePrincipalID)
	str("app-id", &f.appID, c.AppID)
	str("state", &f.state, c.State)
	str("log", &f.log, c.Log)
	if !given["max-deletes"] && c.MaxDeletes != nil {
		f.maxDeletes = *c.MaxDeletes
	}
	if !given["concurrency"] && c.Concurrency != nil {
		f.concurrency = *c.Concurrency
	}
	if !given["rate"] && c.Rate != nil {
		f.rate = *c.Rate
	}
	f.rateGiven = f.rateGiven || c.Rate != nil
	if !given["allow-deletes"] && c.AllowDeletes {
		f.allowDeletes = true
	}
	f.holdEverything = f.holdEverything || (!given["hold-everything"] && c.HoldEverything)
	if err := f.loadSettings(given, &c); err != nil {
		return err
	}
	if !c.Mappings.IsZero() {
		set, err := loadMappings(configPath, &c.Mappings)
		if err != nil {
			return err
		}
		f.set = set
	}
	return nil
}

// loadSettings fills the Entra settings and the deadlines from the file,
// where no flag set them.
func (f *syncFlags) loadSettings(given map[string]bool, c *fileConfig) error {
	str := func(name string, dst *string, v string) {
		if !given[name] && v != "" {
			*dst = v
		}
	}
	str("scope", &f.scope, c.Scope)
	if !given["include-default-access"] && c.IncludeDefaultAccess {
		f.defaultAccess = true
	}
	if !given["skip-out-of-scope-deletions"] && c.SkipOutOfScopeDeletions {
		f.skipOutOfScope = true
	}
	if a := c.TargetObjectActions; a != nil && !given["actions"] {
		var on []string
		for _, x := range []struct {
			name string
			on   *bool
		}{{"create", a.Create}, {"update", a.Update}, {"delete", a.Delete}} {
			if x.on == nil || *x.on {
				on = append(on, x.name)
			}
		}
		f.actions = strings.Join(on, ",")
	}
	dur := func(name, key string, dst *time.Duration, v string) error {
		if given[name] || v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("config file %s: %s: %q is not a duration; write it like 30m, 2m30s or 0", f.config, key, v)
		}
		*dst = d
		return nil
	}
	if err := dur("timeout", "timeout", &f.timeout, c.Timeout); err != nil {
		return err
	}
	return dur("request-timeout", "requestTimeout", &f.requestTimeout, c.RequestTimeout)
}

// loadMappings reads the mappings entry of a config file: a path to a
// mapping file (relative to the config file), or a mapping set inline.
func loadMappings(configPath string, n *yaml.Node) (*mapping.Set, error) {
	if n.Kind == yaml.ScalarNode {
		p := n.Value
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(configPath), p)
		}
		set, err := mapping.LoadSet(p)
		if err != nil {
			return nil, fmt.Errorf("mappings file %s: %v", p, err)
		}
		return set, nil
	}
	data, err := yaml.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("config file %s: mappings: %v", configPath, err)
	}
	set, err := mapping.ParseSet(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: mappings: %v", configPath, err)
	}
	return set, nil
}

// mappingSet returns the mapping set in force, validated.
func (f *syncFlags) mappingSet() (*mapping.Set, error) {
	set := f.set
	if set == nil {
		set = mapping.DruvaDefault()
	}
	if err := set.Validate(); err != nil {
		return nil, err
	}
	return set, nil
}

// validate checks the inputs that need no network.
func (f *syncFlags) validate() error {
	if f.concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1, not %d", f.concurrency)
	}
	if f.rate < 0 {
		return fmt.Errorf("--rate must be 0 (no limit) or more, not %g", f.rate)
	}
	if f.maxDeletes < 0 {
		return fmt.Errorf("--max-deletes must be 0 (no limit) or more, not %d", f.maxDeletes)
	}
	if s := f.fileCfg.MaxSourceShrink; s != nil && !(*s >= 0 && *s < 1) {
		return fmt.Errorf("maxSourceShrink must be a fraction from 0 (no limit) to below 1, not %g", *s)
	}
	if f.scope != "assigned" && f.scope != "all" {
		return fmt.Errorf("scope %q (--scope, or scope in the config file): want assigned (Sync only assigned users and groups, the default) or all (Sync all users and groups)", f.scope)
	}
	if _, err := f.objectActions(); err != nil {
		return err
	}
	if f.timeout < 0 {
		return fmt.Errorf("--timeout must be 0 (no limit) or more, not %s", f.timeout)
	}
	if f.requestTimeout < time.Second {
		return fmt.Errorf("--request-timeout must be at least 1s, not %s", f.requestTimeout)
	}
	if e := f.fileCfg.NotificationEmail; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Name != "" || a.Address != e {
			return fmt.Errorf("notificationEmail %q is not an email address; write it like ops@contoso.example", e)
		}
	}
	return nil
}

// objectActions returns the target object actions that are on.
func (f *syncFlags) objectActions() (map[string]bool, error) {
	on := map[string]bool{}
	for a := range strings.SplitSeq(f.actions, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		switch a {
		case "":
		case "create", "update", "delete":
			on[a] = true
		default:
			return nil, fmt.Errorf("--actions: unknown action %q; list the ones that are on from create, update and delete, such as --actions create,update", a)
		}
	}
	return on, nil
}

// readBounded reads a file of at most maxConfigSize bytes.
func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigSize)
	}
	return data, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func cleanYAMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// jsonIndent writes v as indented JSON.
func jsonIndent(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return []byte(fmt.Sprintf("{\"error\": %q}", err.Error()))
	}
	return append(b, '\n')
}
