package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/mapping"
)

// errBadInput marks errors that are the user's input or configuration
// (exit status 2) rather than a failure of the run.
var errBadInput = errors.New("bad input")

// inputError is an error in the user's input or configuration; it matches
// errBadInput and prints only its own message.
type inputError struct{ msg string }

func (e *inputError) Error() string        { return e.msg }
func (e *inputError) Is(target error) bool { return target == errBadInput }

// badInput formats an inputError.
func badInput(format string, a ...any) error { return &inputError{msg: fmt.Sprintf(format, a...)} }

// druvaClient builds the Druva client from the flags and DRUVA_TOKEN.
func (f *syncFlags) druvaClient(env *environment, extra ...druva.Option) (*druva.Client, error) {
	token := env.getenv("DRUVA_TOKEN")
	if token == "" {
		return nil, badInput("DRUVA_TOKEN is not set; generate a token in the Druva console (Users > Settings > Generate Token) and export it")
	}
	return f.druvaClientWith(token, extra...)
}

// druvaClientWith builds the Druva client from the flags and token, with
// extra options after the flags'.
func (f *syncFlags) druvaClientWith(token string, extra ...druva.Option) (*druva.Client, error) {
	opts := []druva.Option{druva.WithBaseURL(f.druvaURL), druva.WithRequestTimeout(cmp.Or(f.requestTimeout, druva.DefaultRequestTimeout))}
	if f.rateGiven {
		opts = append(opts, druva.WithRateLimit(f.rate, burstFor(f.rate)))
	}
	c, err := druva.NewClient(token, append(opts, extra...)...)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return c, nil
}

// burstFor is the limiter burst used with a rate: small, as Entra's gallery
// rule of 25 requests/s expects a steady pace.
func burstFor(rate float64) int {
	if rate <= 0 {
		return 0
	}
	return max(1, min(10, int(rate/2)))
}

// graphCredential returns the Graph credential: GRAPH_TOKEN as a static
// bearer token, else azidentity's default chain (AZURE_TENANT_ID,
// AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a certificate, workload
// identity, managed identity, Azure CLI).
func graphCredential(env *environment) (azcore.TokenCredential, error) {
	if t := env.getenv("GRAPH_TOKEN"); t != "" {
		return entra.StaticToken(t), nil
	}
	// azidentity's chain is used only when the environment names a
	// credential: with nothing set it would probe the managed-identity
	// endpoint of a machine that has none.
	if !slices.ContainsFunc(azureCredentialVars(), func(v string) bool { return env.getenv(v) != "" }) {
		return nil, badInput("no Microsoft Graph credential: set GRAPH_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH), or run where a workload or managed identity is configured")
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, badInput("no Microsoft Graph credential: set GRAPH_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (%v)", err)
	}
	return cred, nil
}

// azureCredentialVars are the environment variables that tell azidentity
// which credential to use: a service principal, a workload identity, or a
// managed identity (App Service, Functions, Arc, Cloud Shell).
func azureCredentialVars() []string {
	return []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
		"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"}
}

// entraReader builds the Entra reader for set.
func (f *syncFlags) entraReader(env *environment, set *mapping.Set, extra ...entra.Option) (*entra.Reader, error) {
	if f.servicePrincipalID == "" && f.appID == "" {
		return nil, badInput("say which Entra app to read with --service-principal-id or --app-id")
	}
	cred, err := graphCredential(env)
	if err != nil {
		return nil, err
	}
	return f.entraReaderWith(cred, set, extra...)
}

// entraReaderWith builds the Entra reader for set with the credential cred.
func (f *syncFlags) entraReaderWith(cred azcore.TokenCredential, set *mapping.Set, extra ...entra.Option) (*entra.Reader, error) {
	if f.servicePrincipalID == "" && f.appID == "" {
		return nil, badInput("say which Entra app to read with servicePrincipalId or appId")
	}
	if err := set.Validate(); err != nil {
		return nil, badInput("%v", err)
	}
	attrs := set.SourceAttributes()
	opts := []entra.Option{
		entra.WithGraphURL(f.graphURL),
		entra.WithAttributes(readerAttributes(attrs)...),
		entra.WithDefaultAccess(f.defaultAccess),
		entra.WithNestedGroups(f.fileCfg.ExpandNestedGroups),
		entra.WithRequestTimeout(cmp.Or(f.requestTimeout, druva.DefaultRequestTimeout)),
		entra.WithSyncAll(f.scope == "all"),
	}
	if f.servicePrincipalID != "" {
		opts = append(opts, entra.WithServicePrincipalID(f.servicePrincipalID))
	} else {
		opts = append(opts, entra.WithAppID(f.appID))
	}
	r, err := entra.NewReader(cred, append(opts, extra...)...)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return r, nil
}

// readerAttributes adds to the mapping's source attributes the ones the
// report needs to name users.
func readerAttributes(attrs []string) []string {
	out := slices.Clone(attrs)
	for _, a := range []string{"userPrincipalName", "displayName"} {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// stateStore returns the file store at path, or a memory store when path is
// empty (every run is then a first run).
func stateStore(path string) (druvascim.StateStore, error) {
	if path == "" {
		return druvascim.NewMemoryStore(), nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, badInput("--state %s: %v", path, err)
	}
	s, err := druvascim.NewFileStore(abs)
	if err != nil {
		return nil, badInput("--state %s: %v", path, err)
	}
	return s, nil
}

// planOptions are the planner policies the flags ask for.
func (f *syncFlags) planOptions() []druvascim.Option {
	return []druvascim.Option{druvascim.WithPolicy(f.policy())}
}

// policy is the planner's settings the flags ask for.
func (f *syncFlags) policy() druvascim.Policy {
	on, _ := f.objectActions() // validate checked them
	p := druvascim.Policy{
		NoCreates:               !on["create"],
		NoUpdates:               !on["update"],
		NoDeletes:               !on["delete"],
		Deletes:                 f.allowDeletes,
		SkipOutOfScopeDeletions: f.skipOutOfScope,
		DeletionThreshold:       f.maxDeletes,
		ApproveHolds:            f.approveDeletes,
		HoldEverything:          f.holdEverything,
	}
	if f.maxDeletes == 0 {
		p.DeletionThreshold = -1 // --max-deletes 0: no limit
	}
	if s := f.fileCfg.MaxSourceShrink; s != nil {
		p.MaxSourceShrink = *s
		if *s == 0 {
			p.MaxSourceShrink = -1 // maxSourceShrink: 0 in the file: no limit
		}
	}
	return p
}

// wired are the building blocks of a cycle, made from the flags.
type wired struct {
	set    *mapping.Set
	client *druva.Client
	reader *entra.Reader
	store  druvascim.StateStore
}

// wire loads the configuration file, checks the flags and builds the mapping
// set, the Druva client, the Entra reader and the state store. Every error is
// bad input or configuration.
func (f *syncFlags) wire(env *environment, fs *flag.FlagSet, readerOpts ...entra.Option) (*wired, error) {
	if err := f.load(fs); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	var w wired
	var err error
	if w.set, err = f.mappingSet(); err != nil {
		return nil, err
	}
	if w.client, err = f.druvaClient(env); err != nil {
		return nil, err
	}
	if w.reader, err = f.entraReader(env, w.set, readerOpts...); err != nil {
		return nil, err
	}
	if w.store, err = stateStore(f.state); err != nil {
		return nil, err
	}
	return &w, nil
}
