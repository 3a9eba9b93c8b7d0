// Command custompolicy shows a planner policy of your own: a hook that
// protects some Druva users from ever being disabled by the sync, and a lower
// deletion threshold, run on the embedded fakes.
package main
