// Package control declares what the provisioning service offers the people
// who run it: the status of each tenant, and the operations on it (sync now,
// pause, resume, restart, approve held deprovisions). The service runtime
// implements [Controller]; the status page, its HTTP API and the
// command-line client use it, so none of them depends on how the runtime
// schedules cycles.
package control
