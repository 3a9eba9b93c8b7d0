package druvascim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/druvascim/druvascim"
	"github.com/druvascim/druvascim/druva"
	"github.com/druvascim/druvascim/druva/druvatest"
	"github.com/druvascim/druvascim/entra"
	"github.com/druvascim/druvascim/entra/entratest"
	"github.com/druvascim/druvascim/mapping"
	"github.com/druvascim/druvascim/scim"
)

// A plan is a pure function of the desired objects, the target's users and
// the state. Here one user is new, one was renamed, one was unassigned, and
// a Druva user the sync never managed is left alone.
func ExampleNewPlanner() {
	email := func(v string) []any { return []any{map[string]any{"type": "work", "value": v}} }
	desired := func(id, upn, name string, assigned bool) druvascim.Desired {
		return druvascim.Desired{
			SourceID: id, DisplayName: name, SoftDeleted: !assigned,
			Resource: scim.Resource{"userName": upn, "displayName": name, "emails": email(upn), "active": true},
			Update:   []mapping.Assignment{{Path: "userName", Value: upn}, {Path: "displayName", Value: name}},
			Keys:     []mapping.MatchKey{{Path: "userName", Value: upn}},
		}
	}
	current := []scim.Resource{
		{"id": "d-1", "userName": "ada@contoso.com", "displayName": "Ada", "emails": email("ada@contoso.com"), "active": true},
		{"id": "d-2", "userName": "bob@contoso.com", "displayName": "Bob", "emails": email("bob@contoso.com"), "active": true},
		{"id": "d-3", "userName": "eve@contoso.com", "displayName": "Eve", "emails": email("eve@contoso.com"), "active": true},
	}
	state := &druvascim.State{Links: map[string]string{}}
	state.Links["src-ada"] = "d-1"
	state.Links["src-bob"] = "d-2"

	planner, err := druvascim.NewPlanner(druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: 10}))
	if err != nil {
		log.Fatal(err)
	}
	plan, err := planner.Plan(druvascim.PlanInput{
		Desired: []druvascim.Desired{
			desired("src-ada", "ada@contoso.com", "Ada Lovelace", true),
			desired("src-bob", "bob@contoso.com", "Bob", false),
			desired("src-cy", "cy@contoso.com", "Cy", true),
			desired("src-eve", "eve@contoso.com", "Eve", false),
		},
		Current: current,
		State:   state,
		Now:     time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan.Format())
	js, _ := json.Marshal(plan.Counts)
	fmt.Println(string(js))
	// Output:
	// druvascim plan (incremental read, 2026-11-25T09:00:00Z)
	//
	//   ~ update  "Ada Lovelace" (source src-ada, target d-1)
	//         displayName: "Ada" → "Ada Lovelace"
	//   - disable "Bob" (source src-bob, target d-2) [NotAssigned]
	//         active: true → false
	//         # not assigned
	//   + create  "Cy" (source src-cy)
	//         active = true
	//         displayName = "Cy"
	//         emails[type eq "work"].value = "cy@contoso.com"
	//         userName = "cy@contoso.com"
	//     skip    "Eve" (source src-eve, target d-3) [NotManaged]
	//         # source says not assigned, but target user matched by userName was never linked; left alone
	//
	// Plan: 1 to create, 1 to update, 1 to disable, 0 to delete; 0 unchanged, 1 skipped.
	// {"Create":1,"Disable":1,"Skip":1,"Update":1}
}

// A Syncer runs whole cycles: read Entra (full, then incremental through the
// stored delta link), read Druva, map, plan, apply, save the state. Here both
// ends are the package's fakes on loopback.
func ExampleSyncer() {
	ctx := context.Background()
	graph, err := entratest.NewServer(entratest.WithUsers(0), entratest.WithGroups(0))
	if err != nil {
		log.Fatal(err)
	}
	defer graph.Close()
	role := graph.AppRoles()[0].ID
	for _, nick := range []string{"ada", "bob", "cy"} {
		id, err := graph.CreateUser(map[string]any{"userPrincipalName": nick + "@contoso.example",
			"displayName": "User " + nick, "mail": nick + "@contoso.example", "mailNickname": nick})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := graph.AddAssignment(id, role); err != nil {
			log.Fatal(err)
		}
	}
	druvaFake, err := druvatest.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer druvaFake.Close()

	reader, err := entra.NewReader(entra.StaticToken(graph.Token),
		entra.WithServicePrincipalID(graph.ServicePrincipalID), entra.WithGraphURL(graph.URL))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "druvascim-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := druvascim.NewFileStore(dir + "/state")
	if err != nil {
		log.Fatal(err)
	}
	syncer, err := druvascim.NewSyncer(reader, druvaFake.Client(), mapping.DruvaDefault(), store,
		druvascim.WithPolicy(druvascim.Policy{DeletionThreshold: 100}))
	if err != nil {
		log.Fatal(err)
	}
	for cycle := 1; cycle <= 2; cycle++ {
		res, err := syncer.Run(ctx)
		if err != nil {
			log.Fatal(err)
		}
		s := res.Report.Summary
		fmt.Printf("cycle %d: full=%v created=%d skipped=%d failed=%d\n",
			cycle, s.Full, res.Plan.Counts[druvascim.ActionCreate], res.Plan.Counts[druvascim.ActionSkip], s.Statuses[druvascim.StatusFailure])
	}
	fmt.Println("users in Druva:", druvaFake.Len())
	// Output:
	// cycle 1: full=true created=3 skipped=0 failed=0
	// cycle 2: full=false created=0 skipped=0 failed=0
	// users in Druva: 3
}

// The wiring of the README's "Using the SDK": the Entra reader, the Druva
// client, a file store and the Syncer. (It needs a real tenant, so it is
// compiled but not run; ExampleSyncer runs the same wiring against the
// fakes.)
func Example_usingTheSDK() {
	ctx := context.Background()
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		log.Fatal(err)
	}
	spID := os.Getenv("DRUVA_SERVICE_PRINCIPAL_ID") // the Druva app's service principal in Entra
	reader, err := entra.NewReader(cred, entra.WithServicePrincipalID(spID))
	if err != nil {
		log.Fatal(err)
	}
	client, err := druva.NewClient(os.Getenv("DRUVA_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := druvascim.NewFileStore("druva-state.json")
	if err != nil {
		log.Fatal(err)
	}
	syncer, err := druvascim.NewSyncer(reader, client, mapping.DruvaDefault(), store)
	if err != nil {
		log.Fatal(err)
	}
	result, err := syncer.Run(ctx) // or DryRun, or ProvisionOnDemand
	if err != nil {
		log.Fatal(err)
	}
	s := result.Report.Summary
	fmt.Printf("cycle %s: %v created, %v failed\n", s.CycleID, s.Actions[druvascim.ActionCreate], s.Statuses[druvascim.StatusFailure])
	if len(result.Report.Failed()) > 0 {
		os.Exit(1)
	}
}
