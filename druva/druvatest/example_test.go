package druvatest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/scim"
)

// A fake Druva with a SCIM mapping: a user outside every mapping cannot be
// created, exactly as Druva answers.
func Example() {
	srv, err := druvatest.NewServer(druvatest.WithMappings(druvatest.Mapping{
		Profile: "Finance", Attribute: "department", Values: []string{"Finance"},
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	user := scim.Resource{
		"userName":    "ada@example.com",
		"displayName": "Ada",
		"emails":      []any{map[string]any{"value": "ada@example.com", "type": "work"}},
		"department":  "Engineering",
	}
	_, err = c.CreateUser(ctx, user)
	var se *scim.Error
	errors.As(err, &se)
	fmt.Println(se.Status, se.Detail)

	user["department"] = "Finance"
	created, err := c.CreateUser(ctx, user)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.DeleteUser(ctx, created.ID()); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := srv.State(created.ID())
	fmt.Printf("profile %s, preserved %t, users %d\n", st.Profile, st.Preserved, srv.Len())
	fmt.Println(srv.Stats().ByMethod)
	// Output:
	// 400 None of the SCIM Mapping matched to create user
	// profile Finance, preserved true, users 1
	// map[DELETE:1 POST:2]
}

// Faults are seeded: a client with retries rides them out.
func ExampleFaults() {
	srv, err := druvatest.NewServer(druvatest.WithFaults(druvatest.Faults{Seed: 3, ServerErrors: 0.3}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.NewClient(druva.WithWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 10 {
		mail := fmt.Sprintf("user%d@example.com", i)
		_, err := c.CreateUser(context.Background(), scim.Resource{
			"userName": mail, "displayName": mail, "emails": []any{map[string]any{"value": mail}},
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	st := srv.Stats()
	fmt.Println(srv.Len(), "users;", st.Injected5xx == int(c.Stats().Retries))
	// Output:
	// 10 users; true
}
