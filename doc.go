// Package druvascim provisions users from Microsoft Entra ID into Druva over
// SCIM 2.0, as building blocks a Go program owns.
//
// One provisioning cycle is a chain of plain function calls:
//
//	entra.Reader ──objects──▶ mapping.Set (scope, map) ──desired──▶ Planner.Plan ──Plan──▶ Apply ──ops──▶ druva.Client
//
// The packages:
//
//   - [github.com/druvascim/druvascim/scim]: SCIM 2.0 wire types, attribute
//     paths, filters and PATCH (Entra's dialect included). No HTTP.
//   - [github.com/druvascim/druvascim/druva]: the Druva SCIM client, rate
//     limited and retrying, with typed errors.
//   - [github.com/druvascim/druvascim/druva/druvatest]: a fake Druva for tests.
//   - [github.com/druvascim/druvascim/mapping]: Entra's expression language,
//     attribute mappings, matching attributes and scoping filters, with the
//     Druva gallery app's default mapping set.
//   - [github.com/druvascim/druvascim/entra]: reads who is assigned to the
//     Druva enterprise app through Microsoft Graph, fully or by delta.
//   - [github.com/druvascim/druvascim/entra/entratest]: a fake Graph tenant.
//   - this package: the planner (a pure function of desired objects, current
//     Druva users and state), the executor, safety rules, the provisioning
//     report and the state store.
//
// The root package never imports entra or druva: it declares the small
// interfaces it needs ([Source], [Target], [StateStore]) and those packages
// satisfy them. A source delivers typed [Object] values in a [Batch]: the
// id, the attributes the mappings read, and the scope facts (assigned,
// soft-deleted, hard-deleted, and the [Reason]). The reference command-line
// tool, examples/druvasync, composes everything.
//
// # Running cycles
//
// A [Syncer] composes one cycle: load the [State] from a [StateStore] (the
// default is [NewFileStore]'s; [NewMemoryStore] for tests), read the
// [Source] (incrementally through the stored delta link, or fully), list
// the [Target]'s users, scope and map the source objects ([Prepare]), plan
// ([Planner]), apply ([Apply]) and save
// the state:
//
//	store, err := druvascim.NewFileStore("druvascim.state")
//	s, err := druvascim.NewSyncer(reader, druvaClient, mapping.DruvaDefault(), store,
//		druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: 50}), druvascim.WithConcurrency(4))
//	res, err := s.Run(ctx)        // or s.DryRun(ctx): the same path, stopped before applying
//	json.NewEncoder(os.Stdout).Encode(res.Report)
//
// Every constructor takes the one [Option] type. Each option applies to
// some of [NewPlanner], [Apply] and [NewSyncer] (which takes them all); a
// constructor given one that does not apply says so. NewSyncer refuses a
// mapping set that reads attributes the source says it does not deliver. A
// target that counts its HTTP requests (druva.Client does) has each cycle's
// count reported in the [Summary].
//
// An incremental cycle that read few changed objects (at most one per 200
// links) does not list the target: it reads each object's linked user by id,
// or looks unlinked ones up by their matching keys, so a quiet cycle sends
// the target no request at all. Full reads list every user.
//
// [Syncer.ProvisionOnDemand] walks the same steps (import, scope, match,
// action) for one user, like Entra's "provision on demand"; it reads that
// one object when the source has a FetchObject method (entra.Reader has).
//
// # Planning
//
// The standard [Planner] ([NewPlanner]) is a pure function of [PlanInput]:
// the [Desired] objects (source objects scoped and mapped), the target's
// current users and the state. It matches each object by its stored link first, then by its
// matching attributes in precedence order (userName and emails compare
// without case; externalId and id with case; more than one hit is
// [ReasonDuplicateTargetEntries]). Each object gets one [Operation]:
// [ActionCreate], unless a required attribute of the mapping set has no
// value ([ReasonMandatoryFieldsMissing]); [ActionUpdate], the minimal PATCH
// of the mapped Always attributes that differ (never any other attribute),
// which also re-enables a disabled user back in scope; [ActionDisable];
// [ActionDelete], only with [Policy].Deletes; or [ActionSkip] with a
// [Reason]. A Druva user without a link is never disabled or deleted
// ([ReasonNotManaged]). A linked user is deprovisioned with the precise
// reason, as in Entra's provisioning logs: the source's ([ReasonNotAssigned],
// [ReasonDefaultAccessOnly], [ReasonAccountDisabled], [ReasonSoftDeleted],
// [ReasonHardDeleted]) or [ReasonScopingFilter]; an out-of-scope object
// never provisioned is skipped with the same reason. On a full read, linked
// objects the source no longer returns are disabled (NotAssigned); on an
// incremental read only the objects read are planned. A [Plan] is plain
// data: JSON-serialisable, printable with [Plan.Format] like `terraform
// plan`, with counts per action ([Plan].Counts).
//
// The planner's settings are one [Policy] ([WithPolicy]), as Entra's
// provisioning settings name them: the target object actions, accidental
// deletion prevention, the source shrink rule, skipping out-of-scope
// deletions and approving holds; the zero Policy is the default. A hook
// ([WithHook]) may veto or rewrite single operations, and a plan policy
// ([WithPlanPolicy]) sees the whole plan and may veto operations with
// [Plan.Veto]. Vetoed objects are planned again in later cycles. A
// [Planner] of your own can wrap the standard one ([WithPlanner]).
//
// # Safety
//
// A plan that would disable plus delete more users than the threshold
// ([Policy].DeletionThreshold, default 500), or a full read whose in-scope
// count fell by more than [Policy].MaxSourceShrink (default half) since
// the last full cycle, is held with [ErrHeld] ([Plan].Hold names the
// rule). Only the plan's disables and deletes are held: they appear as
// [ActionStagedDelete] in the report, and the creates and updates of the
// same cycle are applied, so a new hire never waits for someone to approve
// unrelated disables. This differs from Entra on purpose: Entra's
// accidental-deletion prevention quarantines the whole job
// (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions);
// [Policy].HoldEverything restores that behaviour. The shrink rule holds
// the same way: the objects a shrunken read still returns are real, so
// their creates and updates are safe; only the disables of the objects it
// no longer returns may be the mistake of a partial source. The delta link
// of a cycle with held operations does not advance, so the held changes
// are planned again until they are approved: set [Plan].Approved (or
// [Policy].ApproveHolds) to apply them. A failed or partial
// source read is refused with [ErrIncompleteSource]; a failed target
// listing aborts the cycle.
//
// # Applying
//
// [Apply] runs the write operations with bounded concurrency
// ([WithConcurrency], default 8), creates and updates before disables and
// deletes. A 409 on create looks the user up by its matching attributes and
// adopts it (link, then update); a 404 drops the link
// (error code InvalidAnchor) so the object is matched again next cycle.
// Failures are escrowed in the state ([Escrow]) and retried on Entra's
// schedule (see "Entra's behaviour" below; throttling and server errors
// next cycle). A cycle stops early, with an error matching
// [ErrQuarantined], only for a systemic failure; otherwise it finishes and
// the failure share decides on quarantine. Canceling the context starts no new operation and lets
// the operations in flight finish (for up to 10 seconds); one still
// unanswered then is reported with error code OutcomeUnknown and escrowed,
// so the next cycle reads the object again and adopts the user if the write did
// reach the target. Links and escrows stay consistent. The error codes of
// failed writes are listed in the [Entry] documentation.
//
// # Entra's behaviour, and where the engine differs
//
// The engine follows Microsoft's documentation of the provisioning service
// (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works),
// except where this section says it differs on purpose.
//
//   - Initial and incremental cycles. The first cycle reads everything and
//     stores a watermark (the delta link); later cycles read the changes
//     since it. A change of the mapping set, of its scoping filter or of
//     the source's scope setting makes Entra restart the job; the [Syncer]
//     records a fingerprint of all three in the [State], and the first
//     cycle after a change re-evaluates every object (a full read and a
//     full target listing), says why in Summary.FullReason ("mapping
//     changed", "scoping filter changed", "scope setting changed") and
//     starts a new baseline for the shrink rule; the next cycle is
//     incremental again.
//   - Restart. [Syncer.Restart] is Entra's "Restart provisioning": it
//     clears the watermark, the escrows, the vetoes and the quarantine,
//     keeps the links (matching them again would cost a lookup per user
//     and find the same users) and makes the next cycle a full one with
//     Summary.FullReason "restart". A full read asked for with
//     [WithFullRead] (the CLI's --full) is not a restart: it keeps the
//     escrows and the quarantine.
//   - Escrow. A per-object failure does not stop the cycle: it is
//     escrowed, and retried 6 h, 12 h and 24 h after the first failure,
//     then every 24 h, for 28 days; then its escrow entry is dropped,
//     reported once (the entry's message, Summary.EscrowsPruned), and the
//     object is tried again only when it changes in the source, on a full
//     read or after a restart
//     (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status).
//     Throttling, server errors and transport failures are retried next
//     cycle, as Entra retries them. A due escrow is retried by reading its
//     object alone (the source's FetchObject) beside the incremental read,
//     not by reading the whole tenant, as long as the due objects are few
//     (at most one per 200 links): reading an object alone costs a few
//     Graph requests, a full read one page per few hundred users, so many
//     due objects are read with everything else (Summary.FullReason
//     "escrow retry (N objects due)"). Summary.Escrowed counts the objects
//     waiting.
//   - Quarantine. Entra quarantines a job when most or all of its calls
//     fail consistently, slows it to once a day, and lets it out when a
//     cycle succeeds. A cycle stops early only for a systemic failure: the
//     credentials refused (401/403; Graph's reason
//     EncounteredQuarantineException), the target unreachable after the
//     client's retries (the same reason), or each of the first 20 fresh
//     operations failing with the same error code and none succeeding
//     (EncounteredEscrowProportionThreshold). Those failures are the
//     cycle's, not the objects': they are retried next cycle, not
//     escrowed, and the delta link does not advance. Otherwise the cycle
//     finishes, and more than 40 % failures of at least 20 operations put
//     the job in quarantine (EncounteredEscrowProportionThreshold) for the
//     next cycles. [State].Quarantine and Summary.Quarantine hold the
//     reason, since when, and the next attempt, which moves from 1 h to
//     once a day as quarantined cycles follow one another; a scheduler
//     (the service) waits for it, while a cycle asked for explicitly still
//     runs. Any cycle without failure ends the quarantine. Entra's
//     thresholds of 5,000 and 40,000 failures belong to tenants far larger
//     than one Druva account's, so the engine judges the share from 20
//     operations on. Entra disables a job quarantined for more than four
//     weeks; a cycle asked for explicitly still runs here, while the
//     service (druvasync serve) pauses such a tenant until it is resumed
//     or restarted. Escrows end after 28 days.
//   - Accidental deletions. Entra quarantines the whole job (TooManyDeletes)
//     when a cycle would disable or delete more users than the threshold
//     (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions).
//     The engine differs on purpose, as other sync tools skip only their
//     delete phase: it holds only the disables and deletes (StagedDelete,
//     [ErrHeld]) and applies the creates and updates of the same cycle,
//     so a new hire never waits for someone to approve unrelated disables.
//     [Policy].HoldEverything restores Entra's behaviour. The shrink rule
//     holds the same way (see Safety).
//   - Skip out-of-scope deletions. [Policy].SkipOutOfScopeDeletions is
//     Entra's SkipOutOfScopeDeletions: users that go out of scope or are
//     unassigned stay active
//     (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/skip-out-of-scope-deletions).
//   - Default Access. Users whose only assignment is the Default Access
//     role stay out of scope by default, as the Druva tutorial says
//     (https://learn.microsoft.com/en-us/entra/identity/saas-apps/druva-provisioning-tutorial);
//     entra.WithDefaultAccess includes them. Microsoft's general guidance
//     differs: since 2020 the provisioning service evaluates users with
//     Default Access like users with any other role
//     (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-no-users-provisioned).
//     The engine keeps the Druva tutorial's behaviour as the default,
//     because a Druva account is licensed per user and the gallery app's
//     own documentation is what its admins follow.
//   - Changes made directly in Druva are not detected or reverted, as in
//     Entra, which provisions one way
//     (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues).
//
// # Errors
//
// Target errors are read with errors.As into a *scim.Error and its Status.
// Bad input (a source object without an id, a duplicate id, a target user
// without id, an unsupported attribute path) is an error naming what is
// wrong; nothing panics.
//
// # Reports and state
//
// Every cycle yields a [Report]: one [Entry] per object, like Entra's
// provisioning log (change id, ids, display name, [Action], [Status], the
// steps, modified properties with old and new values and Redacted values
// masked, an error code with a sentence to act on), and a [Summary] with
// counts, durations and request counts. A Report is plain data: its JSON
// form is the provisioning log (the CLI also writes it as CSV);
// [WithProgress] follows long cycles phase by phase ([Phase]: read source,
// which includes scoping and mapping, read target, plan, apply). A mapping
// that fails to evaluate is a Failure of its object ([ReasonMappingFailed]),
// listed by [Report.Failed]. The [State] holds links, the delta link,
// escrows, the quarantine, the configuration's fingerprint, the last
// cycle's [Summary] and the shrink rule's baseline;
// [NewFileStore]'s store replaces its file atomically (temporary file,
// fsync, rename; mode 0600) and loads a million links in about half a
// second. Every [StateStore] keeps one writer per state: an exclusive lock
// (errors match [ErrLocked] and name the holder) and a generation check on
// save ([ErrStaleState]).
package druvascim
