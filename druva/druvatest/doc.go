// Package druvatest is a fake Druva inSync SCIM service for tests, in the
// style of net/http/httptest: [NewServer] starts it on a loopback port;
// [Server].URL and [Server].Token are what a client needs, and
// [Server.Client] returns a real *druva.Client already pointed at it (with
// its rate limiter off).
//
//	srv, err := druvatest.NewServer(druvatest.WithMaxPageSize(50))
//	if err != nil { ... }
//	defer srv.Close()
//	c := srv.Client()
//	u, err := c.CreateUser(ctx, user)
//	stored, err := srv.UserByName("ada@example.com")
//
// It is built on github.com/elimity-com/scim, which serves discovery
// (/ServiceProviderConfig, /ResourceTypes, /Schemas), reads, list paging
// (count capped at [WithMaxPageSize]) and DELETE, and validates filters
// against its schemas. Writes (POST, PUT, PATCH) are decoded generically and
// PATCH is applied with package scim, so Entra's dialect (capitalised ops,
// "False" strings, path-less replace with dotted keys) is accepted without
// touching elimity's process-wide SetAllowStringValues. Filters are
// evaluated with package scim.
//
// # Druva's rules
//
//   - userName is unique regardless of case and every email is unique: 409
//     with scimType "uniqueness".
//   - userName, displayName and an email are required: 400.
//   - With [WithMappings], a create must match a Druva "SCIM mapping"
//     (attribute and values, matched with case) or fail with 400 "None of
//     the SCIM Mapping matched to create user"; the first match gives the
//     user's profile ([Server.State]).
//   - DELETE and PATCH active=false both leave the user Preserved: still
//     readable and listed, active false.
//   - A wrong or missing bearer token gets 401.
//   - Users only, unless [WithGroups].
//
// # Faults
//
// [Faults] (from [WithFaults] or [Server.SetFaults]) inject 429 with
// Retry-After, 500/502/503, latency (through [WithSleep], so tests need not
// sleep) and "processed but the response was lost" (the write is applied,
// then the connection is closed). [WithRateLimit] adds a server-side token
// bucket on the server's clock ([WithClock]) answering 429 when exceeded.
// Every draw comes from a source seeded with Faults.Seed and the request's
// sequence number, so the same requests in the same order fail the same
// way. [Server.Stats] counts requests by method and every fault;
// [Server.Requests] is the request log.
//
// # Inspecting
//
// [Server.SeedUsers] and [Server.SeedGroup] store resources directly (rules
// applied, no faults, not logged); [Server.Users], [Server.User],
// [Server.UserByName], [Server.State] and [Server.Len] read the state. Lists
// come in id order (ids grow with creation). Helpers return errors, never
// panic; only [NewServer] panics on a bad option, as httptest does ([New]
// returns the error instead).
package druvatest
