// Package logstore keeps the provisioning log: every cycle (its kind,
// outcome, counts, duration and requests) and every entry (one object in
// one cycle: action, status, reason, error, steps and modified
// properties), queryable by user, action, status, reason, time and cycle,
// for `druvasync logs`, `druvasync cycles` and the status page.
//
// [Store] is the interface; [SQLite] keeps the log in an embedded SQLite
// database (modernc.org/sqlite, pure Go) next to the state, in WAL mode,
// with an index per query. A writer — the process holding the tenant's
// state lock — opens a cycle, writes its entries in one transaction and
// ends it:
//
//	store, err := logstore.Open(ctx, "tenant.log.db")
//	id, err := store.BeginCycle(ctx, logstore.CycleStart{Tenant: "contoso", Kind: logstore.KindIncremental, Started: start})
//	err = store.AddEntries(ctx, id, entries)
//	err = store.EndCycle(ctx, id, logstore.CycleEnd{Ended: end, Outcome: logstore.OutcomeSucceeded})
//
// A process killed during a cycle leaves the database consistent: SQLite
// rolls back the unfinished transaction, and the next writer to open the
// store marks the cycle [OutcomeInterrupted]. Readers open the store with
// [WithReadOnly], which changes nothing.
//
// Entries older than the retention (30 days by default) are deleted by
// [SQLite.RunPruner] in small batches, so a cycle never waits long for it.
// [SQLite.Follow] streams entries as they are written, for `logs --follow`.
//
// Queries are typed ([Query], [CycleQuery]) and every value is bound as a
// parameter. The store never keeps a credential: text shaped like a bearer
// token or a JWT is masked, and redacted properties keep no value.
package logstore
