// Package faulttest holds the reliability and security tests of druvascim:
// properties that span packages, checked through the public APIs only, with
// the real fakes (druva/druvatest and entra/entratest) over loopback.
//
// It has no code of its own apart from this comment; everything is in its
// _test.go files. RELIABILITY.md at the root of the module lists each
// property, the test that guards it and how the test was shown to fail.
//
// # Faults survived
//
// TestDruvaFaultsConverge runs a sync against a fake Druva that answers 10 %
// of requests with 5xx, 5 % with 429 and a Retry-After, loses 2 % of write
// responses after applying them and delays some requests; it must converge
// within two cycles to exactly the desired state, with no user missing or
// duplicated and no unmanaged user touched. Its size comes from the
// -soak.users flag (or DRUVASCIM_SOAK_USERS); -soak runs 10,000 users (and
// 40 cancellation seeds instead of 8). Flags go after the package:
//
//	go test ./internal/faulttest -run TestDruvaFaultsConverge -v -soak
//
// The Graph fault tests (TestGraph*) inject throttling storms, pages without
// "value", nextLinks to a foreign host and expired delta links, and check that
// no cycle plans from a partial read. The process fault tests cancel cycles at
// seeded points and make the state store fail. TestLostDeprovisionResponses
// loses the responses of disables and deletes. TestRevokedTokenQuarantines
// and TestRevokedGraphCredential count the requests a rejected credential
// costs.
//
// # Bad input
//
// FuzzDruvaListUsers, FuzzDruvaGetUser and FuzzGraphRead serve fuzzed bodies
// to the real clients (druva.Client and entra.Reader).
// TestDruvaRejectsTrailingData and TestMappingConfigRejectsTrailingData keep
// the trailing-data cases the fuzzing found.
//
// # Security
//
// TestTokensNeverLeak, TestDemoPrintsNoTokens, TestFilterInjection,
// TestInsecureEndpointsRefused, TestRetryAfterCapped, TestRetryNeverPastDeadline,
// TestOversizedBodiesRefused, TestCredentialsStayOnHost and
// TestStateFileOwnerOnly.
package faulttest
