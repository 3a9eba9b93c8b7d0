package main

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"go.yaml.in/yaml/v3"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/internal/metrics"
	"github.com/druvascim/druvascim/internal/notify"
	"github.com/druvascim/druvascim/internal/service"
)

// serveConfig is the configuration file of serve: either one tenant's
// settings at the top level (the file sync reads), or a tenants: list.
//
//	listen: 127.0.0.1:8470          # loopback by default
//	adminTokenEnv: DRUVASYNC_ADMIN_TOKEN
//	tlsCert: /etc/druvasync/tls.crt # required, with tlsKey and an admin token, off loopback
//	tlsKey: /etc/druvasync/tls.key
//	shutdownGrace: 30s
//	reminder: 24h                   # how often a notice that still holds is repeated
//	tenants:
//	  - name: contoso
//	    druvaURL: https://apis.druva.com/insync/scim
//	    druvaTokenEnv: CONTOSO_DRUVA_TOKEN   # or druvaTokenFile
//	    druvaTokenCreated: 2026-01-15
//	    servicePrincipalId: 0f1c…
//	    graph: {tenantId: …, clientId: …, clientSecretEnv: CONTOSO_GRAPH_SECRET}  # or graphTokenEnv
//	    state: /var/lib/druvasync/contoso.state
//	    interval: 40m
//	    notifications:
//	      email: {host: smtp.contoso.example, port: 587, tls: starttls, user: druvasync,
//	              passwordEnv: SMTP_PASSWORD, from: druvasync@contoso.example, to: [ops@contoso.example]}
//	      webhook: {urlEnv: CONTOSO_WEBHOOK_URL}
type serveConfig struct {
	tenantConfig  `yaml:",inline"`
	Listen        string         `yaml:"listen"`
	AdminTokenEnv string         `yaml:"adminTokenEnv"`
	TLSCert       string         `yaml:"tlsCert"`
	TLSKey        string         `yaml:"tlsKey"`
	ShutdownGrace string         `yaml:"shutdownGrace"`
	Reminder      string         `yaml:"reminder"`
	Tenants       []tenantConfig `yaml:"tenants"`
}

// tenantConfig is one tenant: the settings sync reads, plus its
// credentials, schedule and notifications.
type tenantConfig struct {
	Name              string `yaml:"name"`
	fileConfig        `yaml:",inline"`
	DruvaTokenEnv     string              `yaml:"druvaTokenEnv"`
	DruvaTokenFile    string              `yaml:"druvaTokenFile"`
	DruvaTokenCreated string              `yaml:"druvaTokenCreated"`
	GraphTokenEnv     string              `yaml:"graphTokenEnv"`
	Graph             graphConfig         `yaml:"graph"`
	Interval          string              `yaml:"interval"`
	LogRetention      string              `yaml:"logRetention"`
	Notifications     notificationsConfig `yaml:"notifications"`
}

type graphConfig struct {
	TenantID        string `yaml:"tenantId"`
	ClientID        string `yaml:"clientId"`
	ClientSecretEnv string `yaml:"clientSecretEnv"`
}

type notificationsConfig struct {
	Email   *emailConfig   `yaml:"email"`
	Webhook *webhookConfig `yaml:"webhook"`
}

type emailConfig struct {
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"`
	TLS         string   `yaml:"tls"` // starttls (default) or implicit
	CAFile      string   `yaml:"caFile"`
	User        string   `yaml:"user"`
	PasswordEnv string   `yaml:"passwordEnv"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
}

type webhookConfig struct {
	URL    string `yaml:"url"`
	URLEnv string `yaml:"urlEnv"`
}

// defaultListen is serve's listen address when the file names none.
const defaultListen = "127.0.0.1:8470"

// tenantName is what a tenant may be called: it appears in URLs and
// commands.
var tenantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// readServeConfig reads and checks serve's configuration file.
func readServeConfig(path string) (*serveConfig, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, badInput("%v", err)
	}
	var c serveConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, badInput("config file %s is malformed: %v", path, cleanYAMLError(err))
	}
	single := c.tenantConfig.State != "" || c.tenantConfig.ServicePrincipalID != "" || c.tenantConfig.AppID != ""
	switch {
	case len(c.Tenants) > 0 && single:
		return nil, badInput("config file %s: give either a tenants: list or one tenant's settings at the top level, not both", path)
	case len(c.Tenants) == 0:
		c.tenantConfig.Name = cmp.Or(c.tenantConfig.Name, defaultTenant)
		c.Tenants = []tenantConfig{c.tenantConfig}
	}
	return &c, nil
}

// durationSetting parses a duration setting; empty gives def.
func durationSetting(name, v string, def, least time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		return 0, badInput("%s: %q is not a duration of at least %v (write it like 40m or 24h)", name, v, least)
	}
	return d, nil
}

// tenants builds the service's tenants; m counts their requests.
func (c *serveConfig) tenants(env *environment, path string, m *metrics.Metrics) ([]service.Tenant, error) {
	var out []service.Tenant
	for i := range c.Tenants {
		tc := &c.Tenants[i]
		t, err := tc.build(env, path, len(c.Tenants) > 1, m)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", cmp.Or(tc.Name, fmt.Sprint(i+1)), err)
		}
		out = append(out, t)
	}
	return out, nil
}

// build wires one tenant. many says the file lists several tenants, which
// must then each name their own credentials; m counts the requests to
// Druva and Graph by status.
func (tc *tenantConfig) build(env *environment, path string, many bool, m *metrics.Metrics) (service.Tenant, error) {
	if !tenantName.MatchString(tc.Name) {
		return service.Tenant{}, badInput("name %q: give each tenant a name of letters, digits, '.', '_' or '-'", tc.Name)
	}
	if tc.Log != "" {
		return service.Tenant{}, badInput("log: serve keeps the provisioning log next to the state (query it with druvasync logs); remove log:")
	}
	if tc.State == "" {
		return service.Tenant{}, badInput("state: the service needs a state file per tenant")
	}
	// The defaults of sync's flags, which a tenant's settings override.
	f := &syncFlags{druvaURL: druva.DefaultBaseURL, graphURL: entra.DefaultGraphURL, concurrency: defaultConcurrency,
		rate: druva.DefaultRateLimit, maxDeletes: 500, scope: "assigned", actions: "create,update,delete",
		requestTimeout: druva.DefaultRequestTimeout}
	if err := f.apply(tc.fileConfig, path, nil); err != nil {
		return service.Tenant{}, badInput("%v", err)
	}
	if err := f.validate(); err != nil {
		return service.Tenant{}, badInput("%v", err)
	}
	t := service.Tenant{Name: tc.Name, Policy: f.policy()}
	if err := tc.schedule(&t); err != nil {
		return service.Tenant{}, err
	}
	set, err := f.mappingSet()
	if err != nil {
		return service.Tenant{}, badInput("%v", err)
	}
	client, err := tc.druvaClient(env, f, many,
		druva.WithHTTPClient(&http.Client{Transport: m.RoundTripper(tc.Name, metrics.TargetDruva, clientTransport())}))
	if err != nil {
		return service.Tenant{}, err
	}
	cred, err := tc.graphCredential(env, many)
	if err != nil {
		return service.Tenant{}, err
	}
	countOpt, graph := graphCounter(m.RoundTripper(tc.Name, metrics.TargetGraph, clientTransport()))
	reader, err := f.entraReaderWith(cred, set, countOpt)
	if err != nil {
		return service.Tenant{}, err
	}
	t.GraphRequests = graph.n.Load
	statePath, err := filepath.Abs(f.state)
	if err != nil {
		return service.Tenant{}, badInput("state %s: %v", f.state, err)
	}
	fs, err := stateStore(statePath)
	if err != nil {
		return service.Tenant{}, err
	}
	t.Store, t.Sidecar, t.LogPath = fs, service.SidecarPath(statePath), service.LogPath(statePath)
	t.DruvaRequests = func() int64 { return client.Stats().Requests }
	t.DruvaRate = client.RateLimit
	t.NewSyncer = func(opts ...druvascim.Option) (*druvascim.Syncer, error) {
		return druvascim.NewSyncer(reader, client, set, fs, append([]druvascim.Option{druvascim.WithConcurrency(f.concurrency)}, opts...)...)
	}
	if t.Notifiers, err = tc.Notifications.notifiers(env); err != nil {
		return service.Tenant{}, err
	}
	return t, nil
}

// schedule reads the interval, log retention and token date.
func (tc *tenantConfig) schedule(t *service.Tenant) error {
	var err error
	if t.Interval, err = durationSetting("interval", tc.Interval, service.DefaultInterval, time.Minute); err != nil {
		return err
	}
	if t.LogRetention, err = durationSetting("logRetention", tc.LogRetention, 0, time.Hour); err != nil {
		return err
	}
	if tc.DruvaTokenCreated != "" {
		d, err := time.Parse(time.DateOnly, tc.DruvaTokenCreated)
		if err != nil {
			return badInput("druvaTokenCreated: %q is not a date like 2026-01-15", tc.DruvaTokenCreated)
		}
		t.DruvaTokenCreated = d
	}
	return nil
}

// druvaClient reads the tenant's Druva token: druvaTokenEnv, druvaTokenFile,
// or for a single tenant DRUVA_TOKEN.
func (tc *tenantConfig) druvaClient(env *environment, f *syncFlags, many bool, extra ...druva.Option) (*druva.Client, error) {
	var token string
	switch {
	case tc.DruvaTokenEnv != "" && tc.DruvaTokenFile != "":
		return nil, badInput("druvaTokenEnv and druvaTokenFile: give one")
	case tc.DruvaTokenFile != "":
		data, err := readBounded(tc.DruvaTokenFile)
		if err != nil {
			return nil, badInput("druvaTokenFile: %v", err)
		}
		token = strings.TrimSpace(string(data))
	case tc.DruvaTokenEnv != "":
		token = env.getenv(tc.DruvaTokenEnv)
	case many:
		return nil, badInput("druvaTokenEnv or druvaTokenFile: each of several tenants needs its own Druva token")
	default:
		token = env.getenv("DRUVA_TOKEN")
	}
	if token == "" {
		return nil, badInput("no Druva token (%s); generate one in the Druva console (Users > Settings > Generate Token)",
			cmp.Or(tc.DruvaTokenFile, tc.DruvaTokenEnv, "DRUVA_TOKEN"))
	}
	return f.druvaClientWith(token, extra...)
}

// graphCredential returns the tenant's Graph credential.
func (tc *tenantConfig) graphCredential(env *environment, many bool) (azcore.TokenCredential, error) {
	g := tc.Graph
	switch {
	case tc.GraphTokenEnv != "":
		tok := env.getenv(tc.GraphTokenEnv)
		if tok == "" {
			return nil, badInput("graphTokenEnv: %s is not set", tc.GraphTokenEnv)
		}
		return entra.StaticToken(tok), nil
	case g.TenantID != "" || g.ClientID != "" || g.ClientSecretEnv != "":
		secret := env.getenv(g.ClientSecretEnv)
		if g.TenantID == "" || g.ClientID == "" || secret == "" {
			return nil, badInput("graph: give tenantId, clientId and clientSecretEnv naming a variable that is set")
		}
		cred, err := azidentity.NewClientSecretCredential(g.TenantID, g.ClientID, secret, nil)
		if err != nil {
			return nil, badInput("graph: %v", err)
		}
		return cred, nil
	case many:
		return nil, badInput("graph or graphTokenEnv: each of several tenants needs its own Microsoft Graph credential")
	}
	return graphCredential(env)
}

// notifiers builds the tenant's notifiers.
func (n notificationsConfig) notifiers(env *environment) (map[string]notify.Notifier, error) {
	out := map[string]notify.Notifier{}
	if e := n.Email; e != nil {
		email, err := e.build(env)
		if err != nil {
			return nil, err
		}
		out["email"] = email
	}
	if w := n.Webhook; w != nil {
		u := w.URL
		if w.URLEnv != "" {
			u = env.getenv(w.URLEnv)
		}
		if u == "" {
			return nil, badInput("notifications.webhook: give url, or urlEnv naming a variable that is set")
		}
		hook, err := notify.NewWebhook(u)
		if err != nil {
			return nil, badInput("notifications.webhook: %v", err)
		}
		out["webhook"] = hook
	}
	return out, nil
}

func (e *emailConfig) build(env *environment) (*notify.Email, error) {
	var opts []notify.EmailOption
	switch e.TLS {
	case "", "starttls":
	case "implicit":
		opts = append(opts, notify.WithImplicitTLS())
	default:
		return nil, badInput("notifications.email.tls: %q: want starttls (port 587) or implicit (port 465)", e.TLS)
	}
	if e.Port != 0 {
		opts = append(opts, notify.WithPort(e.Port))
	}
	if e.CAFile != "" {
		pem, err := readBounded(e.CAFile)
		if err != nil {
			return nil, badInput("notifications.email.caFile: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, badInput("notifications.email.caFile: %s holds no PEM certificate", e.CAFile)
		}
		opts = append(opts, notify.WithTLSConfig(&tls.Config{RootCAs: pool}))
	}
	if e.User != "" {
		pw := env.getenv(e.PasswordEnv)
		if pw == "" {
			return nil, badInput("notifications.email: user %q needs passwordEnv naming a variable that is set", e.User)
		}
		opts = append(opts, notify.WithAuth(e.User, pw))
	}
	email, err := notify.NewEmail(e.Host, e.From, e.To, opts...)
	if err != nil {
		return nil, badInput("notifications.email: %v", err)
	}
	return email, nil
}
