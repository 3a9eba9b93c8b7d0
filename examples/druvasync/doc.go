// Command druvasync is the reference command-line tool of druvascim: it reads
// who is assigned to the Druva app in Microsoft Entra ID, plans what to change
// in Druva and applies it, and it runs the fakes the SDK tests with.
//
// Run "druvasync help" for the commands, or "druvasync demo" to see a full
// cycle on embedded fakes with no credentials.
package main
