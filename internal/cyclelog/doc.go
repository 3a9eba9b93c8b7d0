// Package cyclelog records a provisioning cycle's report in the
// provisioning-log store: it maps the SDK's [druvascim.Report] to
// [logstore] cycles and entries, so that `druvasync sync`, the service and
// any custom tool write the same records.
//
//	id, err := cyclelog.Record(ctx, store, "contoso", rep, cycleErr, cyclelog.Requests{Druva: n, Graph: m})
//
// Entries are written in one transaction. Unchanged objects have no entry
// (the report holds none); a redacted property keeps no value.
package cyclelog
