package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/mapping"
)

func exprCommand() command {
	return command{
		name:    "expr",
		args:    "'EXPRESSION' [--attrs JSON | --user UPN-or-object-id] [--default-domain DOMAIN] [--json]",
		summary: "evaluate an Entra mapping expression, like Entra's expression builder",
		help: `
Evaluates EXPRESSION in Entra's attribute-mapping language against the
attributes given as a JSON object (or those of a real Entra user, read from
Microsoft Graph with the same credentials and flags as sync), and prints the
value as Entra would send it, or the error with the position of the fault.

Examples:
  druvasync expr 'Join(".", [givenName], [surname])' --attrs '{"givenName":"Zoë","surname":"Ångström"}'
  druvasync expr 'NormalizeDiacritics(ToLower([displayName]))' --attrs '{"displayName":"Zoë Å"}'
  druvasync expr 'Not([IsSoftDeleted])' --attrs '{"IsSoftDeleted":false}'
  GRAPH_TOKEN=… druvasync expr 'Join("@", [mailNickname], "contoso.com")' --user ada@contoso.com --service-principal-id 0f1c…`,
		run: runExpr,
	}
}

func runExpr(ctx context.Context, env *environment, args []string) int {
	c := exprCommand()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	attrsJSON := fs.String("attrs", "{}", "source attributes as a JSON object")
	domain := fs.String("default-domain", "", "the tenant's default domain, for DefaultDomain()")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	user := fs.String("user", "", "evaluate against this Entra user (userPrincipalName or object id) instead of --attrs")
	graphURL := fs.String("graph-url", entra.DefaultGraphURL, "Microsoft Graph `URL` (with --user)")
	spID := fs.String("service-principal-id", "", "object `ID` of the Druva app's service principal (with --user)")
	appID := fs.String("app-id", "", "application `ID` of the Druva app (with --user)")
	// The expression comes first; flags may follow it.
	var text string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		text, args = args[0], args[1:]
	}
	if status, ok := parseFlags(env, c, fs, args); !ok {
		return status
	}
	if text == "" {
		return fail(env, c.name, exitBadInput, errors.New("no expression given; usage: druvasync expr 'EXPRESSION' [--attrs JSON]"))
	}
	expr, err := mapping.ParseExpression(text)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	var attrs mapping.Attributes
	if *user != "" {
		f := syncFlags{graphURL: *graphURL, servicePrincipalID: *spID, appID: *appID}
		if attrs, err = readUserAttributes(ctx, env, &f, expr, *user); err != nil {
			return fail(env, c.name, exitStatusFor(err), err)
		}
	} else if attrs, err = decodeAttributes(*attrsJSON); err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	var opts []mapping.EvalOption
	if *domain != "" {
		opts = append(opts, mapping.WithDefaultDomain(*domain))
	}
	v, err := expr.Evaluate(ctx, attrs, opts...)
	if err != nil {
		return fail(env, c.name, exitBadInput, err)
	}
	if *asJSON {
		out := map[string]any{"kind": v.Kind().String(), "null": v.IsNull()}
		if !v.IsNull() {
			out["value"] = fmt.Sprint(v)
			out["values"] = redactedStrings(v)
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return exitConverged
	}
	switch {
	case v.IsNull():
		fmt.Fprintln(env.stdout, "NULL (no value flows)")
	case v.Kind() == mapping.KindMulti:
		for _, s := range redactedStrings(v) {
			fmt.Fprintln(env.stdout, s)
		}
	default:
		fmt.Fprintln(env.stdout, v)
	}
	return exitConverged
}

// redactedStrings returns v's values, masked when v is redacted.
func redactedStrings(v mapping.Value) []string {
	ss := v.Strings()
	if v.IsRedacted() {
		for i := range ss {
			ss[i] = mapping.RedactedText
		}
	}
	return ss
}

// decodeAttributes decodes a JSON object of source attributes, keeping
// numbers exact.
func decodeAttributes(text string) (mapping.Attributes, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var attrs map[string]any
	if err := dec.Decode(&attrs); err != nil {
		return nil, fmt.Errorf("--attrs is not a JSON object: %v", err)
	}
	if attrs == nil {
		return nil, errors.New("--attrs must be a JSON object such as {\"givenName\":\"Ada\"}")
	}
	return mapping.Attributes(attrs), nil
}

// readUserAttributes reads the attributes expr needs of one Entra user.
func readUserAttributes(ctx context.Context, env *environment, f *syncFlags, expr *mapping.Expression, user string) (mapping.Attributes, error) {
	set, err := mapping.NewSet([]mapping.Mapping{{Target: "userName", Type: mapping.TypeExpression, Source: expr.String(), Match: 1}})
	if err != nil {
		return nil, badInput("%v", err)
	}
	reader, err := f.entraReader(env, set)
	if err != nil {
		return nil, err
	}
	o, err := reader.FetchObject(ctx, user)
	if errors.Is(err, entra.ErrNotFound) {
		return nil, badInput("no Entra user %q: %v", user, err)
	}
	if err != nil {
		return nil, err
	}
	// What the Syncer's mappings see besides the user's attributes.
	attrs := mapping.Attributes(o.Attributes)
	attrs["objectId"], attrs["IsSoftDeleted"], attrs["IsHardDeleted"], attrs["scopeReason"] = o.ID, o.SoftDeleted, o.HardDeleted, string(o.Reason)
	return attrs, nil
}
