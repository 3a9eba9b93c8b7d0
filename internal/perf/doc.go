// Package perf holds the end-to-end performance benchmarks of druvascim and
// a cheap smoke test of the same code paths. It has no exported API: the
// package is only its tests, which compose the public packages exactly as a
// program would (the root package's Syncer, [github.com/druvascim/druvascim/entra]
// reading a [github.com/druvascim/druvascim/entra/entratest] tenant and
// [github.com/druvascim/druvascim/druva] writing into a
// [github.com/druvascim/druvascim/druva/druvatest] fake, all on loopback).
//
// # Benchmarks
//
//   - BenchmarkInitialSync: one full cycle into an empty fake Druva for
//     tenants of 10,000 and 100,000 users, client limiters off, beside bare
//     net/http programs: loops making the same POSTs at the same
//     concurrency (one decodes each answer with encoding/json, one only
//     reads it), and the whole job, a program that replays the reader's
//     Graph requests (the same URLs, headers and $batch bodies, decoded
//     with encoding/json), lists the empty Druva and then makes the same
//     POSTs. Reports users/s of the cycle, of its apply phase and of the
//     bare loops, their ratios, the whole-job ratios (job/cycle: the bare
//     program's time over the cycle's), CPU per create, requests by kind,
//     and heap figures; fails when the Druva request budget (creates +
//     list pages + 1) is broken. The cycle and the bare program run under
//     pprof labels (perf=cycle, perf=job), so that a CPU profile
//     (-cpuprofile, then go tool pprof -tagfocus) tells their work apart.
//   - BenchmarkWholeJob: the whole-job comparison of BenchmarkInitialSync
//     (10,000 users) with the fakes in a process of their own, as a CLI
//     meets them: this test binary started again as TestFakesProcess. The
//     measured process then holds only the cycle or the bare program, and
//     its garbage collections do not mark the fakes' heap. Reports
//     job/cycle over three rounds, the rounds' median and extremes, the
//     measured process's CPU per create, what its collector did on each
//     side (collections, bytes allocated, CPU), the fakes' CPU and how
//     many cores both processes kept busy.
//   - BenchmarkPlanInitial: the planner alone on a 10k initial sync, every
//     object a create (the root package's planner benchmarks plan a
//     steady state).
//   - BenchmarkReaderReplay: the reader's full read of the 10k tenant
//     against the bare replay of its own Graph requests, alternating.
//     Reports replay/reader, both walls and both CPU times.
//   - BenchmarkRateLimited: the same cycle against a fake Druva limiting to
//     R requests/s (R = 25 and 100), the client limited to R. Reports
//     sustained writes/s, its share of R and the share of 429 answers. The
//     tenant size is PERF_RATE_USERS (default 2,000).
//   - BenchmarkLearnRate: the same cycle against a fake Druva limiting to
//     R requests/s unknown to the client, which is made with its defaults
//     and must learn R (fixed R from 5 to 100, a changing R, and R announced
//     in rate-limit headers); real time, PERF_LEARN_SECONDS of writes each.
//   - BenchmarkIncremental: after an initial cycle of a 100,000-user tenant
//     (PERF_INCR_USERS), 1 % of the users change; an incremental cycle is
//     measured against a full re-read in the same run. Fails unless the Druva
//     writes equal the changed users and the Druva reads stay within one
//     list pass.
//
// The script .ci/bench runs them with the planner's and the mapper's growth
// benchmarks and the client stack's own (druva, httpx).
//
// # Smoke test
//
// TestPerfSmoke runs the same code at 300 users, cheap enough for CI under
// -race: the request budget of an initial cycle, the bare programs' bodies
// and Graph replay against what the cycle sent and received, zero writes on
// an idle incremental cycle, and writes equal to the changes of a 1 % change.
package perf
