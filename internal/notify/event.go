package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Notifier delivers one event. Implementations: [Email] and [Webhook];
// put a [Dispatcher] in front of one so that a cycle never waits for it.
type Notifier interface {
	Notify(ctx context.Context, ev Event) error
}

// Kind is the kind of condition an event reports.
type Kind string

// Kinds of conditions. Each is raised while it holds and cleared when it
// ends.
const (
	// KindQuarantine: the tenant's provisioning is quarantined (cleared:
	// it left quarantine).
	KindQuarantine Kind = "quarantine"
	// KindDeprovisionsHeld: disables or deletes wait for approval
	// (cleared: approved or no longer needed).
	KindDeprovisionsHeld Kind = "deprovisions-held"
	// KindCycleFailures: the last cycle had failed entries (cleared: a
	// cycle without failures).
	KindCycleFailures Kind = "cycle-failures"
	// KindCredentialRefused: Druva or Graph refused the credential; Key
	// says which (cleared: accepted again).
	KindCredentialRefused Kind = "credential-refused"
	// KindTokenExpiry: the Druva token nears the end of its life; Stage
	// says how near (cleared: a new token).
	KindTokenExpiry Kind = "token-expiry"
)

var titles = map[Kind][2]string{
	KindQuarantine:        {"Provisioning quarantined", "Provisioning left quarantine"},
	KindDeprovisionsHeld:  {"Deprovisions held for approval", "Held deprovisions released"},
	KindCycleFailures:     {"Provisioning cycle with failures", "Provisioning cycle without failures"},
	KindCredentialRefused: {"Credential refused", "Credential accepted again"},
	KindTokenExpiry:       {"Druva token expires soon", "Druva token renewed"},
}

// State says which notice of a condition an event is; the [Dispatcher]
// sets it.
type State string

// States.
const (
	StateRaised   State = "raised"
	StateReminder State = "reminder"
	StateCleared  State = "cleared"
)

// Event is one notice about a tenant's condition. Kind, Tenant and Key
// identify the condition; the other fields describe it.
type Event struct {
	Kind   Kind   `json:"kind"`
	Tenant string `json:"tenant"`
	// Key tells apart conditions of one kind: "druva" or "graph" for a
	// refused credential.
	Key string `json:"key,omitempty"`
	// Stage is the condition's degree: a new stage is reported at once,
	// not as a reminder ("30 days", "7 days", "expired" for the token).
	Stage string    `json:"stage,omitempty"`
	State State     `json:"state"`
	Time  time.Time `json:"time"`
	// Summary is one plain-text sentence saying what happened.
	Summary string `json:"summary"`
	// Reason is the cause (an error code or a plain explanation).
	Reason string `json:"reason,omitempty"`
	// NextAttempt is when the service tries again (quarantine).
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	// Counts are the numbers involved: held deletes and disables, failed
	// entries by action.
	Counts map[string]int `json:"counts,omitempty"`
	// ErrorCodes are the first few error codes of a cycle's failures.
	ErrorCodes []string `json:"errorCodes,omitempty"`
	// Command is what an operator runs about it, e.g. "druvasync approve"
	// or "druvasync logs --status Failure".
	Command string `json:"command,omitempty"`
	// Expires is when the Druva token ends.
	Expires time.Time `json:"expires,omitzero"`
}

// Subject is the event's one-line title.
func (ev Event) Subject() string {
	t, ok := titles[ev.Kind]
	title := cmp.Or(t[0], string(ev.Kind))
	if ev.State == StateCleared && ok {
		title = t[1]
	}
	if ev.Key != "" {
		title += " (" + ev.Key + ")"
	}
	if ev.Stage != "" && ev.State != StateCleared {
		title += ": " + ev.Stage
	}
	if ev.State == StateReminder {
		title = "Reminder: " + title
	}
	return fmt.Sprintf("druvasync %s: %s", ev.Tenant, title)
}

// Text renders the event as plain text: the subject, the summary and one
// line per field that is set.
func (ev Event) Text() string {
	var b strings.Builder
	b.WriteString(ev.Subject() + "\n\n")
	if ev.Summary != "" {
		b.WriteString(ev.Summary + "\n\n")
	}
	line := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	line("Tenant", ev.Tenant)
	line("Time", formatTime(ev.Time))
	line("Reason", ev.Reason)
	line("Next attempt", formatTime(ev.NextAttempt))
	var counts []string
	for _, k := range slices.Sorted(maps.Keys(ev.Counts)) {
		counts = append(counts, fmt.Sprintf("%s %d", k, ev.Counts[k]))
	}
	line("Counts", strings.Join(counts, ", "))
	line("Error codes", strings.Join(ev.ErrorCodes, ", "))
	line("Token expires", formatTime(ev.Expires))
	line("Run", ev.Command)
	return b.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// DruvaTokenLifetime is how long a Druva API credential lives.
const DruvaTokenLifetime = 365 * 24 * time.Hour

// TokenExpiry returns the token-expiry event for a Druva token created at
// created, as of now, and whether there is one: from 30 days before the
// end (stage "30 days"), from 7 days before it ("7 days"), and once it
// has ended ("expired"). With no event, clear the condition.
func TokenExpiry(tenant string, created, now time.Time) (Event, bool) {
	if created.IsZero() {
		return Event{}, false
	}
	expires := created.Add(DruvaTokenLifetime)
	left := expires.Sub(now)
	var stage string
	switch {
	case left <= 0:
		stage = "expired"
	case left <= 7*24*time.Hour:
		stage = "7 days"
	case left <= 30*24*time.Hour:
		stage = "30 days"
	default:
		return Event{}, false
	}
	summary := fmt.Sprintf("The Druva API credential expires on %s; create a new one in the Druva console and update the configuration.", expires.UTC().Format(time.DateOnly))
	if stage == "expired" {
		summary = fmt.Sprintf("The Druva API credential expired on %s; provisioning cannot reach Druva until a new one is configured.", expires.UTC().Format(time.DateOnly))
	}
	return Event{Kind: KindTokenExpiry, Tenant: tenant, Stage: stage, Time: now, Expires: expires, Summary: summary}, true
}

// ErrDelivery matches (errors.Is) every [DeliveryError].
var ErrDelivery = errors.New("notify: delivery failed")

// ErrInvalid matches the errors of bad options and arguments.
var ErrInvalid = errors.New("notify: invalid argument")

// DeliveryError says a notifier could not deliver an event. Its text
// names the channel and its destination with any secret removed; it
// never wraps the underlying error, whose text could hold one.
type DeliveryError struct {
	// Channel is "email" or "webhook".
	Channel string
	// Destination is the server or URL, with secrets removed.
	Destination string
	// Detail is what went wrong, with secrets removed.
	Detail string
	// StatusCode is the webhook's HTTP status, if it answered.
	StatusCode int
	ctxErr     error
}

// Error names the channel, the destination and what went wrong.
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("notify: %s to %s: %s", e.Channel, e.Destination, e.Detail)
}

// Is matches [ErrDelivery], and context.Canceled or
// context.DeadlineExceeded when the context ended the delivery.
func (e *DeliveryError) Is(target error) bool {
	return target == ErrDelivery || (e.ctxErr != nil && target == e.ctxErr)
}

// scrubber removes secrets from text.
type scrubber []string

func (s scrubber) clean(text string) string {
	for _, secret := range s {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[secret]")
		}
	}
	return text
}
