// Package entratest is an in-process fake Microsoft Graph tenant for tests:
// generated users, groups (some nested), the Druva enterprise app's service
// principal with app roles, and app-role assignments, served over HTTP on
// loopback under /v1.0, httptest-style.
//
//	srv, err := entratest.NewServer(entratest.WithUsers(1000), entratest.WithSeed(7))
//	if err != nil { ... }
//	defer srv.Close()
//	r, err := srv.Client() // an *entra.Reader wired to the fake
//
// [Server.Client] sets the Graph URL, token ([Server.Token]), service
// principal ([Server.ServicePrincipalID]) and loopback HTTP client of the
// reader, and turns its client-side rate limit off; further entra options
// are applied after those. [Server.HTTPClient] is a plain *http.Client for
// raw requests.
//
// # Tenant
//
// The tenant is deterministic for a seed and a size ([WithSeed],
// [WithUsers], [WithGroups]): the same options give the same ids, names and
// assignments. Users are realistic and untidy on purpose: names with
// diacritics and apostrophes, about 5 % without mail, 5 % disabled
// (accountEnabled false), 4 % guests (#EXT# userPrincipalNames), 1 % with
// display names over 250 characters, 3 % with sparse profiles. Every user is
// a member of one group, a fifth of them of a second; every fourth group
// contains the group before it (nesting). About 40 % of the users are
// assigned directly to the app with the "User" role, 5 % with Default Access
// only ([DefaultAccessRoleID]), 2 % with both "Admin" and "User"; every
// third group is assigned with "User", some with Default Access or "Admin".
// 100,000 users are generated in well under a second. [Server.Attributes]
// lists the user properties the generated users have; [Server.Guests]
// lists the guests.
//
// # Endpoints
//
// Reads: servicePrincipals/{id}, servicePrincipals?$filter=appId eq '…',
// servicePrincipals/{id}/appRoleAssignedTo, users, users/{id} (id or
// userPrincipalName), users/{id}/memberOf and transitiveMemberOf (with the
// /microsoft.graph.group cast), users/delta, groups/{id}, groups/delta,
// groups/{id}/members and groups/{id}/members/microsoft.graph.user, and
// JSON $batch of up to [MaxBatch] GET requests (each item goes through
// authentication and fault injection on its own). Collections page with $top (or
// Prefer: odata.maxpagesize), default [DefaultPageSize], at most
// [MaxPageSize], following @odata.nextLink; $select is honoured and unknown
// properties are refused with 400, as Graph does.
//
// Delta queries end with an @odata.deltaLink; calling it returns only what
// changed since: new and restored objects in full, updated ones with the
// changed selected properties only, soft-deleted users as
// {"@removed":{"reason":"changed"}}, permanently deleted ones with reason
// "deleted", and groups' member changes in members@delta. $deltatoken=latest
// returns no objects and a delta link from now. [Server.ExpireDeltaLinks]
// ages out every delta link issued so far (410 SyncStateNotFound).
//
// # Changing the tenant
//
// Writes over HTTP (POST/PATCH/DELETE users, POST
// directory/deletedItems/{id}/restore, DELETE directory/deletedItems/{id},
// POST/DELETE servicePrincipals/{id}/appRoleAssignedTo, POST groups,
// POST/DELETE groups/{id}/members/…/$ref) and the same as methods:
// [Server.CreateUser], [Server.UpdateUser], [Server.DeleteUser] (soft),
// [Server.RestoreUser], [Server.PurgeUser] (hard), [Server.CreateGroup],
// [Server.AddGroupMember], [Server.RemoveGroupMember],
// [Server.AddAssignment], [Server.RemoveAssignment]. For the usual test
// steps: [Server.Assign] and [Server.Unassign] (direct assignments and
// memberships of assigned groups), [Server.Rename] (userPrincipalName),
// [Server.Disable] (accountEnabled false) and [Server.SoftDelete]. Every
// change is recorded, so users/delta and groups/delta report it to
// incremental reads. Helpers return errors matching [ErrNotFound],
// [ErrConflict] or [ErrInvalid] (an unknown user is ErrNotFound); nothing
// panics.
//
// # Authentication
//
// Every request needs Authorization: Bearer [Server.Token] (401
// InvalidAuthenticationToken otherwise).
//
// # Faults
//
// [WithFaults] injects seeded random faults into reads; [Server.Inject]
// queues exact ones for the next requests: [Throttle] (429 with
// Retry-After), [Unavailable] (503 with Retry-After), [ForeignNextLink] (a
// nextLink to another host, see [WithForeignHost]), [MissingValue] (a page
// without "value"), [ExpiredDelta] (410 SyncStateNotFound) and
// [MalformedPage] (an HTML page with status 200). [Server.Stats] counts every
// request and every fault; [Server.RequestLog] lists the requests.
//
// # Throttling
//
// [WithThrottle] limits each app (each bearer token) to a rate with bursts,
// as Graph's service limits do: beyond it a request is answered 429
// TooManyRequests with Retry-After in whole seconds. Every request inside a
// $batch counts and is throttled on its own, as a 429 item in a 200
// answer. [WithClock] gives the throttle a test's clock.
//
// The server is safe for concurrent use.
package entratest
