// Package entra reads, from Microsoft Graph, who is assigned to the Druva
// enterprise app and the attributes the mappings need — what the Microsoft
// Entra provisioning service reads before it provisions anyone.
//
//	r, err := entra.NewReader(cred, // any azcore.TokenCredential, or entra.StaticToken(t)
//		entra.WithServicePrincipalID(spObjectID),
//		entra.WithAttributes("userPrincipalName", "mail", "displayName", "givenName", "surname"))
//	if err != nil { ... }
//	snap, err := r.Read(ctx, "")          // full read
//	...
//	snap, err = r.Read(ctx, snap.DeltaLink) // later: only what changed
//
// [Reader.Fetch] is the same read in the shape of druvascim.Source: a batch
// of objects (druvascim.Object), each with its id, its attributes and the
// scope facts (Assigned, SoftDeleted, HardDeleted, Reason) in fields of
// their own. [Reader.FetchObject] reads one user (the Source's one-object fetch,
// for on-demand provisioning) and [Reader.FetchGroupMembers] up to a number
// of a group's members (Entra's provision on demand of a group takes
// [DefaultGroupMembers]).
//
// # What is read
//
// Every read lists servicePrincipals/{id}/appRoleAssignedTo (all pages):
// users assigned directly, and groups assigned, whose direct members that
// are users count as assigned ([WithNestedGroups] expands nested groups at
// any depth, each group read once; Entra does not expand them). Group
// members are read with groups/{id}/members/microsoft.graph.user, the first
// page of 20 groups at a time in one JSON $batch, further pages by
// @odata.nextLink. Users come from users/delta with $select of exactly the
// configured properties plus id and accountEnabled ([WithAttributes],
// [DefaultAttributes]); page size 999 ([WithPageSize]). A full read fetches
// users and assignments at the same time. For 100,000 users, 50,000 direct
// assignments and 570 assigned groups a full read takes 182 requests.
//
// The attributes of a user are the selected properties (nulls left out),
// appRoleAssignments (the values of its app roles, direct and through
// groups, as []string, for the SingleAppRoleAssignment and
// AppRoleAssignmentsComplex functions) and originalUserPrincipalName. The
// scope facts are not attributes: the root package gives them to the
// mappings as objectId, IsSoftDeleted, IsHardDeleted and scopeReason.
// SoftDeleted is computed as Entra computes IsSoftDeleted: true when the
// user is not assigned ([ReasonNotAssigned]), assigned only with Default
// Access ([ReasonDefaultAccessOnly]; the Druva gallery tutorial excludes
// those, [WithDefaultAccess] includes them), has accountEnabled false
// ([ReasonAccountDisabled]: disabled users are reported, never as users to
// create), or was deleted ([ReasonSoftDeleted], [ReasonHardDeleted]).
//
// # Scope
//
// By default only users assigned to the app are in scope, as with Entra's
// Scope setting "Sync only assigned users and groups". [WithSyncAll] is
// "Sync all users and groups": every enabled user of the tenant is in scope
// (Assigned true), whatever its assignments; Default Access does not matter
// there. Disabled and deleted users are out either way, and the mapping
// set's scoping filters and Druva's rules still apply downstream.
//
// # Guest users
//
// A B2B guest's userPrincipalName is held by Graph as
// "alias_theirdomain#EXT#@yourtenant". As Microsoft's provisioning service
// does when userPrincipalName is a source attribute, the reader gives the
// mappings the guest's own address, "alias@theirdomain", so that Druva gets
// the name the guest signs in with; the name as Graph holds it is
// originalUserPrincipalName, for a mapping that needs it
// (https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works#b2b-guest-users).
//
// # Incremental reads and the delta link
//
// The delta link is a cursor of this package, not a Graph URL. Format:
// the prefix "entra-cursor-v1." then base64url (unpadded) of the gzip of a
// JSON object with the members v, sp, cfg, u, g, au, ag and m, in any
// order (a full read writes u last, once the users are listed): format
// version 1, the service principal id, a fingerprint of the options that
// shape the result (attributes, default access, nesting), the Graph
// users/delta and groups/delta deltaLinks, the app-role assignments read
// last time (users and groups: principal id → app role ids) and the user
// members of each assigned group. It grows with the number of assignments
// and members: about 3.3 MB for a tenant of 100,000 users with 50,000
// direct assignments and 570 assigned groups. Treat it as opaque; only
// this package reads it.
//
// An incremental read follows both Graph delta links, re-reads the
// assignments, re-reads only the assigned groups whose membership changed
// (or that are newly assigned), and returns the users whose selected
// properties changed plus the users whose assignments changed. Graph's
// delta answers carry only changed properties, so those users are read
// again to return complete attributes: by JSON $batch, 20 users a request,
// retrying the items answered 429 or 5xx, or by one listing of all users
// when more than 2,000 changed. @removed with reason "deleted" is a hard
// delete (IsHardDeleted), reason "changed" a soft delete. An expired Graph
// delta link (410 SyncStateNotFound) makes the read a full one with
// FullReason "delta link expired"; so does a delta link made for another
// service principal, with other options, or for another Graph URL (a
// national cloud, a moved endpoint), each with its own FullReason.
//
// # Errors
//
// A read is all or nothing: any failed request, any malformed page (HTML,
// truncated JSON, wrong types, a page without "value": [ErrMalformed]) or a
// link that leaves the Graph host ([ErrOffHost]; the link is not followed
// and no token is sent there) fails the whole read. Graph error answers are
// [*GraphError], matched with [ErrUnauthorized], [ErrNotFound],
// [ErrThrottled]; a delta link that is not one of ours is
// [ErrBadDeltaLink].
//
// # Pagination
//
// @odata.nextLink is followed verbatim, only while it stays on the
// configured Graph scheme, host and version path (/v1.0, or /beta when
// [WithGraphURL] ends in it). A nextLink that comes back to a page already
// read, or a chain longer than [WithMaxPages], is an error ([ErrMalformed]):
// a paging that does not end fails the read within a bounded number of
// requests and bounded memory. A listing asks for its next page while the
// last one is still being decoded (the nextLink is read ahead of the rest
// of the page); it keeps one request in flight, and uses the page fetched
// ahead only when the decoded page links to exactly it.
//
// # Rate limits and retries
//
// Requests go through the module's shared HTTP stack: a client-side rate
// limit ([DefaultRateLimit], [WithRateLimit]) that slows down for everyone
// on a 429, and retries of 429, 5xx and transport errors honouring
// Retry-After up to a cap ([WithRetries]). Graph throttles each request of
// a JSON $batch on its own: a $batch answer can hold 429 items with their
// own Retry-After. The reader keeps the items answered and sends again only
// the throttled ones after the longest Retry-After among them; only that
// batch waits, the other requests in flight go on. A batch gives up after
// more rounds in a row that answer none of its items than [WithRetries]
// allows. [WithWait] replaces the waiting, for tests. [Snapshot].Stats
// counts requests, pages, retries and 429s.
//
// # Authentication
//
// Any azcore.TokenCredential (github.com/Azure/azure-sdk-for-go/sdk/azidentity
// provides client secret, certificate, managed identity and more), asked for
// the scope https://graph.microsoft.com/.default ([WithScopes]) before every
// attempt, or [StaticToken]. The application needs Application.Read.All (or
// Directory.Read.All), User.Read.All and GroupMember.Read.All. Tokens never
// appear in errors or logs.
package entra
