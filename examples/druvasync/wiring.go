package main

import (
	"errors"
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

// druvaClient builds the Druva client from the flags and DRUVA_TOKEN.
func (f *syncFlags) druvaClient(env *environment) (*druva.Client, error) {
	token := env.getenv("DRUVA_TOKEN")
	if token == "" {
		return nil, fmt.Errorf("%w: DRUVA_TOKEN is not set; generate a token in the Druva console (Users > Settings > Generate Token) and export it", errBadInput)
	}
	c, err := druva.NewClient(token, druva.WithBaseURL(f.druvaURL), druva.WithRateLimit(f.rate, burstFor(f.rate)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadInput, err)
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
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: no Microsoft Graph credential: set GRAPH_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (%v)", errBadInput, err)
	}
	return cred, nil
}

// entraReader builds the Entra reader for set.
func (f *syncFlags) entraReader(env *environment, set *mapping.Set) (*entra.Reader, error) {
	if f.servicePrincipalID == "" && f.appID == "" {
		return nil, fmt.Errorf("%w: say which Entra app to read with --service-principal-id or --app-id", errBadInput)
	}
	cred, err := graphCredential(env)
	if err != nil {
		return nil, err
	}
	attrs, err := set.SourceAttributes()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadInput, err)
	}
	opts := []entra.Option{
		entra.WithGraphURL(f.graphURL),
		entra.WithAttributes(readerAttributes(attrs)...),
		entra.WithDefaultAccess(f.fileCfg.IncludeDefaultAccess),
		entra.WithNestedGroups(f.fileCfg.ExpandNestedGroups),
	}
	if f.servicePrincipalID != "" {
		opts = append(opts, entra.WithServicePrincipalID(f.servicePrincipalID))
	} else {
		opts = append(opts, entra.WithAppID(f.appID))
	}
	r, err := entra.NewReader(cred, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadInput, err)
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
		return &druvascim.MemoryStore{}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --state %s: %v", errBadInput, path, err)
	}
	s, err := druvascim.NewFileStore(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: --state %s: %v", errBadInput, path, err)
	}
	return s, nil
}

// planOptions are the planner policies the flags ask for.
func (f *syncFlags) planOptions() []druvascim.PlanOption {
	opts := []druvascim.PlanOption{
		druvascim.WithDeletionThreshold(f.maxDeletes),
		druvascim.WithDeletes(f.allowDeletes),
	}
	if f.fileCfg.MaxSourceShrink != nil {
		opts = append(opts, druvascim.WithMaxSourceShrink(*f.fileCfg.MaxSourceShrink))
	}
	if f.approveDeletes {
		opts = append(opts, druvascim.WithApproval())
	}
	return opts
}
