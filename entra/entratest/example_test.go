package entratest_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/druvascim/druvascim/entra/entratest"
)

// A fake tenant, changed between two reads the way a test would.
func ExampleNewServer() {
	srv, err := entratest.NewServer(entratest.WithUsers(1000), entratest.WithSeed(7))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	fmt.Println("users:", len(srv.UserIDs()), "groups:", len(srv.GroupIDs()), "assignments:", len(srv.Assignments()))

	id, err := srv.CreateUser(map[string]any{"userPrincipalName": "zoe.obrien@contoso.example", "displayName": "Zoë O'Brien"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.AddAssignment(id, srv.AppRoles()[0].ID); err != nil {
		log.Fatal(err)
	}
	u, _ := srv.User(id)
	fmt.Println(u["displayName"], u["accountEnabled"])
	if err := srv.PurgeUser(id); err != nil {
		log.Fatal(err)
	}
	_, err = srv.User(id)
	fmt.Println(errors.Is(err, entratest.ErrNotFound))
	// Output:
	// users: 1000 groups: 10 assignments: 476
	// Zoë O'Brien true
	// true
}

// A reader wired to the fake, and the test helpers that change the tenant
// between two reads.
func ExampleServer_Client() {
	ctx := context.Background()
	srv, err := entratest.NewServer(entratest.WithUsers(0), entratest.WithGroups(0))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ada, _ := srv.CreateUser(map[string]any{"userPrincipalName": "ada@contoso.example", "displayName": "Ada"})
	bob, _ := srv.CreateUser(map[string]any{"userPrincipalName": "bob@contoso.example", "displayName": "Bob"})
	if err := errors.Join(srv.Assign(ada), srv.Assign(bob)); err != nil {
		log.Fatal(err)
	}
	r, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	first, err := r.Fetch(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	if err := errors.Join(srv.Rename(ada, "ada.lovelace@contoso.example"), srv.Unassign(bob)); err != nil {
		log.Fatal(err)
	}
	next, err := r.Fetch(ctx, first.DeltaLink)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range next.Objects {
		fmt.Printf("%s soft-deleted: %v %q\n", o.Attributes["userPrincipalName"], o.SoftDeleted, o.Reason)
	}
	fmt.Println(errors.Is(srv.Disable("no-such-user"), entratest.ErrNotFound))
	// Output:
	// ada.lovelace@contoso.example soft-deleted: false ""
	// bob@contoso.example soft-deleted: true "NotAssigned"
	// true
}
