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
//     net/http loops making the same POSTs at the same concurrency: one that
//     decodes each answer with encoding/json and one that only reads it.
//     Reports users/s of the cycle, of its apply phase and of both bare
//     loops, their ratios, CPU per create, requests by kind, and heap
//     figures; fails when the Druva request budget (creates + list pages + 1)
//     is broken.
//   - BenchmarkRateLimited: the same cycle against a fake Druva limiting to
//     R requests/s (R = 25 and 100), the client limited to R. Reports
//     sustained writes/s, its share of R and the share of 429 answers. The
//     tenant size is PERF_RATE_USERS (default 2,000).
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
// -race: the request budget of an initial cycle, zero writes on an idle
// incremental cycle, and writes equal to the changes of a 1 % change.
package perf
