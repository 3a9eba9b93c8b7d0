// Command druvasync is the reference command-line tool of druvascim: it reads
// who is assigned to the Druva app in Microsoft Entra ID, plans what to change
// in Druva and applies it, and it runs the fakes the SDK tests with.
//
// "druvasync serve --config FILE" runs it as a service for one or more
// tenants: cycles on a schedule, pause, resume, restart, sync-now and
// approve over an HTTP API (and from the same commands with --service URL),
// notices by email and webhook, and a provisioning log next to each state.
//
// Run "druvasync help" for the commands, or "druvasync demo" to see a full
// cycle on embedded fakes with no credentials.
//
// On a terminal, sync and demo draw their progress on stderr: a spinner with
// the objects read from Entra and the users listed from Druva so far (both
// totals are unknown until the reads end), then a bar for the apply phase.
// Nothing is drawn when stdout is not a terminal or with --json.
package main
