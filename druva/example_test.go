package druva_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

// Provision a user into a fake Druva, find it, disable it, and see Druva
// preserve it.
func Example() {
	srv, err := druvatest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	if err := c.TestConnection(ctx); err != nil {
		fmt.Println(err)
		return
	}
	ada := scim.Resource{
		"schemas":     []any{scim.UserSchema},
		"userName":    "ada@example.com",
		"displayName": "Ada Lovelace",
		"emails":      []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}},
		"active":      true,
	}
	created, err := c.CreateUser(ctx, ada)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created", created.UserName())

	_, err = c.CreateUser(ctx, ada)
	fmt.Println("again:", errors.Is(err, druva.ErrConflict))

	found, err := c.FindUsers(ctx, "userName", "ADA@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("found", len(found))

	if err := c.DisableUser(ctx, created.ID()); err != nil {
		fmt.Println(err)
		return
	}
	got, err := c.GetUser(ctx, created.ID())
	if err != nil {
		fmt.Println(err)
		return
	}
	active, _ := got.Active()
	fmt.Println("active after disable:", active)

	_, err = c.CreateUser(ctx, scim.Resource{"userName": "grace@example.com", "displayName": "Grace"})
	fmt.Println(err)
	// Output:
	// created ada@example.com
	// again: true
	// found 1
	// active after disable: false
	// druva: CreateUser: emails: Druva requires an email address and none was given
}

// Page through every user; a server that stops short yields an error
// instead of a short list.
func ExampleClient_ListUsers() {
	srv, err := druvatest.NewServer(druvatest.WithMaxPageSize(2))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, name := range []string{"a", "b", "c"} {
		_, err := srv.SeedUsers(scim.Resource{
			"userName": name + "@example.com", "displayName": name,
			"emails": []any{map[string]any{"value": name + "@example.com"}},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	for u, err := range srv.Client().ListUsers(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(u.ID(), u.UserName())
	}
	fmt.Println("GET requests:", srv.RequestCount("GET"))
	// Output:
	// user-00000001 a@example.com
	// user-00000002 b@example.com
	// user-00000003 c@example.com
	// GET requests: 2
}

// Errors match sentinels and carry the SCIM error.
func ExampleAPIError() {
	srv, err := druvatest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	_, err = srv.Client().GetUser(context.Background(), "no-such-user")
	var se *scim.Error
	fmt.Println(errors.Is(err, druva.ErrNotFound), errors.As(err, &se), se.Status)
	// Output:
	// true true 404
}
