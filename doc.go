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
// schedule (6 h, 12 h, 24 h, then daily; throttling and server errors next
// cycle). A rejected token, or failures of more than 40 % of at least 20
// finished operations, stops the cycle early with an error matching
// [ErrQuarantined]. Canceling the context starts no new operation and lets
// the operations in flight finish (for up to 10 seconds); one still
// unanswered then is reported with error code OutcomeUnknown and escrowed,
// so the next cycle reads everything and adopts the user if the write did
// reach the target. Links and escrows stay consistent. The error codes of
// failed writes are listed in the [Entry] documentation.
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
// escrows, the last cycle's [Summary] and the shrink rule's baseline;
// [NewFileStore]'s store replaces its file atomically (temporary file,
// fsync, rename; mode 0600) and loads a million links in about half a
// second. Every [StateStore] keeps one writer per state: an exclusive lock
// (errors match [ErrLocked] and name the holder) and a generation check on
// save ([ErrStaleState]).
package druvascim
