package control

import (
	"context"
	"errors"
	"time"

	"github.com/druvascim/druvascim"
)

// State is a tenant's provisioning state, as the status page shows it.
type State string

// The states of a tenant.
const (
	// StateIdle: waiting for the next scheduled cycle.
	StateIdle State = "idle"
	// StateRunning: a cycle is running.
	StateRunning State = "running"
	// StatePaused: provisioning is off until resumed ("Provisioning Status:
	// Off"); no cycle runs.
	StatePaused State = "paused"
	// StateQuarantined: recent cycles failed in a way that slows the
	// schedule (see druvascim.Quarantine).
	StateQuarantined State = "quarantined"
	// StateHeld: deprovisions wait for approval.
	StateHeld State = "held"
)

// Operation is a write operation an operator asks of a tenant.
type Operation string

// The operations.
const (
	// OpSyncNow starts a cycle now instead of at the next scheduled time.
	OpSyncNow Operation = "sync"
	// OpPause turns provisioning off; it survives a restart of the process.
	OpPause Operation = "pause"
	// OpResume turns provisioning back on.
	OpResume Operation = "resume"
	// OpRestart starts over: the next cycle reads everything and retries
	// every escrowed failure; links are kept.
	OpRestart Operation = "restart"
	// OpApprove applies the deprovisions a safety rule holds.
	OpApprove Operation = "approve"
)

// TenantStatus is one tenant's "synchronization details".
type TenantStatus struct {
	Tenant string `json:"tenant"`
	State  State  `json:"state"`
	// Paused is true while provisioning is off, whatever else holds.
	Paused bool `json:"paused"`
	// Quarantine is set while the tenant is quarantined.
	Quarantine *druvascim.Quarantine `json:"quarantine,omitempty"`
	// Held counts the deprovisions waiting for approval.
	Held int `json:"held"`
	// Running is the progress of the running cycle; nil when none runs.
	Running *druvascim.Progress `json:"running,omitempty"`
	// LastCycle is the summary of the last finished cycle; nil before one.
	LastCycle *druvascim.Summary `json:"lastCycle,omitempty"`
	// LastSuccess is when a cycle last finished without failures.
	LastSuccess time.Time `json:"lastSuccess"`
	// NextCycle is when the next cycle is due (zero while paused).
	NextCycle time.Time `json:"nextCycle"`
	// Ready is true once the state was loaded and the credentials were
	// accepted at least once.
	Ready bool `json:"ready"`
	// LastError is the last cycle's error, secrets scrubbed; empty when it
	// succeeded.
	LastError string `json:"lastError,omitempty"`
}

// Controller is the service as its operators see it. Implementations are
// safe for concurrent use.
type Controller interface {
	// Tenants lists the tenants by name, sorted.
	Tenants() []string
	// Status returns a tenant's status, or an error matching
	// [ErrUnknownTenant].
	Status(tenant string) (TenantStatus, error)
	// Do performs an operation on a tenant. It returns once the operation
	// is recorded (a pause is persisted; a sync is scheduled), not when a
	// cycle it starts finishes.
	Do(ctx context.Context, tenant string, op Operation) error
}

// ErrUnknownTenant reports a tenant name the service does not run.
var ErrUnknownTenant = errors.New("unknown tenant")

// ErrConflict matches the error of an operation the tenant's state refuses
// now: a sync of a paused tenant, an approval when nothing is held. The
// HTTP API answers it with 409 Conflict.
var ErrConflict = errors.New("the operation does not apply to the tenant now")

// ErrUnavailable matches the error of an operation asked of a service that
// is not running (not started yet, or stopping). The HTTP API answers it
// with 503 Service Unavailable.
var ErrUnavailable = errors.New("the service is not running")

// ErrUnknownOperation reports an operation name that is not one of the
// [Operation] constants.
var ErrUnknownOperation = errors.New("unknown operation")

// ParseOperation returns the operation named s, or an error matching
// [ErrUnknownOperation].
func ParseOperation(s string) (Operation, error) {
	switch op := Operation(s); op {
	case OpSyncNow, OpPause, OpResume, OpRestart, OpApprove:
		return op, nil
	}
	return "", errors.Join(ErrUnknownOperation, errors.New("operation "+quote(s)+": use sync, pause, resume, restart or approve"))
}

func quote(s string) string { return `"` + s + `"` }
