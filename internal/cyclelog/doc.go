// Package cyclelog records a provisioning cycle's report in the
// provisioning-log store: it maps the SDK's [druvascim.Report] to
// [logstore] cycles and entries, so that `druvasync sync`, the service and
// any custom tool write the same records.
//
//	id, err := cyclelog.Record(ctx, store, "contoso", rep, cycleErr, cyclelog.Requests{Druva: n, Graph: m})
//
// A service records a cycle in two steps, so that a process killed midway
// leaves the cycle marked interrupted:
//
//	id, err := cyclelog.Begin(ctx, store, "contoso", logstore.KindIncremental, started)
//	// ... run the cycle ...
//	err = cyclelog.Finish(ctx, store, id, rep, cycleErr, reqs, ended)
//
// Entries are written in one transaction. Unchanged objects have no entry
// (the report holds one for every object; the log, like Entra's, lists
// none); a redacted property keeps no value. A canceled cycle is recorded
// as interrupted.
package cyclelog
