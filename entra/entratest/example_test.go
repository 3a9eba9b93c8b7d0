package entratest_test

import (
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
