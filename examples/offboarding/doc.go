// Package offboarding shows how to test your own code that talks to Druva
// with the druvatest fake: Offboard is the code under test, and
// offboarding_test.go runs it against a real fake Druva over loopback.
package offboarding
