package entra_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
)

// Read the users assigned to the Druva app, then only what changed.
func ExampleReader_Read() {
	ctx := context.Background()
	graph, err := entratest.NewServer(entratest.WithUsers(200), entratest.WithSeed(1))
	if err != nil {
		log.Fatal(err)
	}
	defer graph.Close()

	r, err := entra.NewReader(entra.StaticToken(graph.Token), // or any azcore.TokenCredential
		entra.WithServicePrincipalID(graph.ServicePrincipalID),
		entra.WithGraphURL(graph.URL),
		entra.WithAttributes("userPrincipalName", "mail", "displayName", "givenName", "surname"),
		entra.WithRateLimit(0, 0)) // a local fake needs no client-side limit
	if err != nil {
		log.Fatal(err)
	}
	snap, err := r.Read(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	reasons := map[string]int{}
	for _, u := range snap.Objects {
		reasons[string(u.Reason)]++
	}
	fmt.Printf("%s: %d users, %d in scope\n", snap.FullReason, len(snap.Objects), snap.Stats.InScope)
	fmt.Printf("not assigned %d, default access only %d, disabled %d\n",
		reasons[string(entra.ReasonNotAssigned)], reasons[string(entra.ReasonDefaultAccessOnly)], reasons[string(entra.ReasonAccountDisabled)])

	// Someone disables an assigned user in Entra.
	var target string
	for _, u := range snap.Objects {
		if !u.SoftDeleted {
			target = u.ID
			break
		}
	}
	if err := graph.Disable(target); err != nil {
		log.Fatal(err)
	}
	next, err := r.Read(ctx, snap.DeltaLink)
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range next.Objects {
		fmt.Printf("changed: %s, soft-deleted %v (%s)\n", u.Attributes["userPrincipalName"], u.SoftDeleted, u.Reason)
	}
	fmt.Println("full:", next.Full, "requests:", next.Stats.Requests)
	// Output:
	// initial read: 200 users, 151 in scope
	// not assigned 28, default access only 17, disabled 4
	// changed: fatima.dasilva0@contoso.example, soft-deleted true (AccountDisabled)
	// full: false requests: 5
}

// Fetch is Read in the shape of druvascim.Source.
func ExampleReader_Fetch() {
	ctx := context.Background()
	graph, err := entratest.NewServer(entratest.WithUsers(50))
	if err != nil {
		log.Fatal(err)
	}
	defer graph.Close()
	r, err := graph.Client(entra.WithOutOfScopeUsers(false)) // a reader wired to the fake
	if err != nil {
		log.Fatal(err)
	}
	b, err := r.Fetch(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(b.Objects), "objects, full:", b.Full, "delta link stored:", b.DeltaLink != "")
	first := b.Objects[0]
	fmt.Println("first:", first.Attributes["userPrincipalName"], first.Attributes["appRoleAssignments"], first.SoftDeleted)
	// Output:
	// 38 objects, full: true delta link stored: true
	// first: fatima.dasilva0@contoso.example [Admin User] false
}

// A reader for a real tenant, authenticated by azidentity (client secret
// here; managed identity, certificates and workload identity work the same).
// Not run: it needs a tenant.
func ExampleNewReader() {
	cred, err := azidentity.NewClientSecretCredential(os.Getenv("AZURE_TENANT_ID"),
		os.Getenv("AZURE_CLIENT_ID"), os.Getenv("AZURE_CLIENT_SECRET"), nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := entra.NewReader(cred,
		entra.WithAppID(os.Getenv("DRUVA_APP_ID")), // or WithServicePrincipalID
		entra.WithAttributes(entra.DefaultAttributes()...),
		entra.WithLogger(slog.Default()))
	if err != nil {
		log.Fatal(err)
	}
	u, err := r.FetchObject(context.Background(), "adele.vance@contoso.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.SoftDeleted, u.Reason, u.Attributes["appRoleAssignments"])
}
