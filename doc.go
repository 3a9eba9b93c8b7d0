// Package druvascim provisions users from Microsoft Entra ID into Druva over
// SCIM 2.0, as building blocks a Go program owns.
//
// One provisioning cycle is a chain of plain function calls:
//
//	entra.Reader ──objects──▶ mapping.Set (scope, map) ──desired──▶ Planner.Plan ──Plan──▶ Apply ──ops──▶ druva.Client
//
// The packages:
//
//   - [github.com/druvascim/druvascim/scim]: SCIM 2.0 wire types, attribute
//     paths, filters and PATCH (Entra's dialect included). No HTTP.
//   - [github.com/druvascim/druvascim/druva]: the Druva SCIM client, rate
//     limited and retrying, with typed errors.
//   - [github.com/druvascim/druvascim/druva/druvatest]: a fake Druva for tests.
//   - [github.com/druvascim/druvascim/mapping]: Entra's expression language,
//     attribute mappings, matching attributes and scoping filters, with the
//     Druva gallery app's default mapping set.
//   - [github.com/druvascim/druvascim/entra]: reads who is assigned to the
//     Druva enterprise app through Microsoft Graph, fully or by delta.
//   - [github.com/druvascim/druvascim/entra/entratest]: a fake Graph tenant.
//   - this package: the planner (a pure function of desired objects, current
//     Druva users and state), the executor, safety rules, the provisioning
//     report and the state store.
//
// The root package never imports entra or druva: it declares the small
// interfaces it needs ([Source], [Target], [StateStore]) and those packages
// satisfy them. The reference command-line tool, examples/druvasync, composes
// everything.
package druvascim
