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
// [Reader.Fetch] is the same read in the shape of druvascim.Source.
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
// Every user gets the attributes objectId, appRoleAssignments (the values of
// its app roles, direct and through groups, as []string, for the
// SingleAppRoleAssignment and AppRoleAssignmentsComplex functions),
// IsSoftDeleted, IsHardDeleted and scopeReason. IsSoftDeleted is computed
// as Entra does: true when the user is not assigned ([ReasonNotAssigned]),
// assigned only with Default Access ([ReasonDefaultAccessOnly]; the Druva
// gallery tutorial excludes those, [WithDefaultAccess] includes them), has
// accountEnabled false ([ReasonDisabled]: disabled users are reported, never
// as users to create), or was deleted ([ReasonSoftDeleted],
// [ReasonHardDeleted]).
//
// # Incremental reads and the delta link
//
// [Snapshot].DeltaLink is a cursor of this package, not a Graph URL. Format:
// the prefix "entra-cursor-v1." then base64url (unpadded) of the gzip of a
// JSON object {v, sp, cfg, u, g, au, ag, m}: format version 1, the service
// principal id, a fingerprint of the options that shape the result
// (attributes, default access, nesting), the Graph users/delta and
// groups/delta deltaLinks, the app-role assignments read last time (users
// and groups: principal id → app role ids) and the user members of each
// assigned group. It grows with the number of assignments and members:
// about 3.3 MB for a tenant of 100,000 users with 50,000 direct assignments
// and 570 assigned groups. Treat it as opaque; only this package reads it.
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
// [Snapshot].FullReason "delta link expired"; so does a delta link made for
// another service principal or with other options.
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
// configured Graph scheme, host and /v1.0 path; a nextLink that repeats is
// an error.
//
// # Rate limits and retries
//
// Requests go through the module's shared HTTP stack: a client-side rate
// limit ([DefaultRateLimit], [WithRateLimit]) that slows down for everyone
// on a 429, and retries of 429, 5xx and transport errors honouring
// Retry-After up to a cap ([WithRetries]). [WithWait] replaces the waiting,
// for tests. [Snapshot].Stats counts requests, pages, retries and 429s.
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
