// Package service is the provisioning service's runtime: what
// "Provisioning Status: On" means for one or more tenants in one process.
//
// Each [Tenant] has its own Syncer, state store, provisioning-log store,
// notifiers and schedule. [Service.Run] takes every tenant's state lock
// (a second service or a sync on the same state is refused, naming the
// holder), runs a first cycle at once and then one every interval (40
// minutes by default) with jitter. A quarantined tenant's interval doubles
// with each quarantined cycle, up to once a day, as Entra's does, and a
// tenant quarantined for more than four weeks is paused, as Entra disables
// such a job, until it is resumed or restarted. Cycles of
// one tenant never overlap: each tenant runs its cycles one after another
// in its own goroutine, and a cycle asked for while one runs starts when
// it ends. A panic in one tenant's cycle is recovered and recorded as that
// cycle's failure; the other tenants never notice.
//
// The service implements [control.Controller]: the status page, its HTTP
// API and the command-line client read each tenant's status and ask for
// operations (sync now, pause, resume, restart, approve). A pause is
// written to the tenant's sidecar file before Do returns, so it survives a
// restart of the process; the sidecar also keeps the notifiers' memory,
// so a restart repeats no notice.
//
// Every cycle is recorded in the tenant's log store through package
// cyclelog, the records `druvasync sync` writes too: the cycle when it
// starts (a process killed midway leaves it marked interrupted), its
// entries in one transaction when it ends. [Service.LogStore] hands the
// stores to the status page. With [WithMetrics] each cycle and the Druva
// rate limit are reported to the metrics. Each cycle is also evaluated for
// notifications: quarantine entered or left, deprovisions held for
// approval, a cycle with failures, a refused credential (Graph's or
// Druva's), and a Druva token near the end of its 365 days. Notices go
// through a notify.Dispatcher, so a slow or failing notifier never delays
// a cycle.
//
// When the context given to Run ends, the service takes no new operation,
// gives running cycles a grace period (30 seconds by default) to finish,
// then cancels them (the SDK stops starting operations and saves links and
// escrows), flushes notices briefly, saves the sidecars and releases the
// locks.
//
//	svc, err := service.New([]service.Tenant{{Name: "contoso", Store: store, NewSyncer: build}},
//		service.WithLogger(logger))
//	err = svc.Run(ctx) // until ctx ends
package service
