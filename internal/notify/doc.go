// Package notify tells people when provisioning cannot run by itself: the
// service enters or leaves quarantine, deprovisions wait for approval, a
// cycle ends with failures, Druva or Graph refuses the credential, or the
// Druva token nears the end of its 365 days ([TokenExpiry]).
//
// A [Notifier] delivers one [Event]. [Email] sends it over SMTP
// (github.com/wneessen/go-mail; STARTTLS or implicit TLS, authentication,
// several recipients); [Webhook] posts it as JSON with a plain "text"
// field, which Slack- and Teams-style incoming webhooks show.
//
// A [Dispatcher] stands in front of each notifier. The service calls
// [Dispatcher.Raise] for every condition that holds after a cycle and
// [Dispatcher.Clear] for every one that does not; the dispatcher reports
// a condition once, reminds no more often than a period (24 hours by
// default), and reports once more when it clears. It never blocks the
// caller: a bounded queue feeds [Dispatcher.Run], which retries a failing
// notifier with backoff and logs only through a caller's *slog.Logger.
// Its [Memory] is saved with the state so a restart repeats nothing.
//
//	email, err := notify.NewEmail("smtp.contoso.example", "druvasync@contoso.example",
//		[]string{"ops@contoso.example"}, notify.WithAuth(user, password))
//	d, err := notify.NewDispatcher(email, notify.WithLogger(logger))
//	go d.Run(ctx)
//	d.Raise(notify.Event{Kind: notify.KindDeprovisionsHeld, Tenant: "contoso",
//		Summary: "12 deletes wait for approval.", Command: "druvasync approve"})
//
// No secret reaches an error or a log: a [DeliveryError] names the SMTP
// server or the webhook's scheme and host only.
package notify
