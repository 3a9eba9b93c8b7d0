package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/druvascim/druvascim/mapping"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer) error {
	email := `emails[type eq "work"].value`
	set, err := mapping.NewSet([]mapping.Mapping{
		{Target: "userName", Type: mapping.TypeExpression,
			Source: `Join("@", ToLower([mailNickname]), "backup.contoso.example")`, Match: 1},
		{Target: email, Type: mapping.TypeDirect, Source: "mail", Match: 2},
		{Target: "displayName", Type: mapping.TypeExpression,
			Source: `NormalizeDiacritics(Join(" ", [givenName], [surname]))`},
		{Target: "active", Type: mapping.TypeExpression, Source: "Not([IsSoftDeleted])"},
		{Target: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
			Type: mapping.TypeConstant, Source: "Contoso Sales", Apply: mapping.ApplyOnCreate},
	},
		mapping.WithName("Druva users of Sales"),
		mapping.WithRequired("userName", "displayName", email),
		mapping.WithScope(mapping.ScopingFilter{{mapping.Equals("department", "Sales")}}),
	)
	if err != nil {
		return err
	}

	user := mapping.Attributes{
		"objectId": "7d1f…", "mailNickname": "ZOE.Angstrom", "mail": "zoe@contoso.example",
		"givenName": "Zoë", "surname": "Ångström", "department": "Sales", "IsSoftDeleted": false,
	}
	in, err := set.InScope(user)
	if err != nil {
		return err
	}
	mapped, err := set.Map(context.Background(), user)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "in scope:", in)
	fmt.Fprintln(w, "matching keys:", mapped.Keys)
	fmt.Fprintln(w, "what Druva receives on create:")
	out, err := set.EncodeYAML()
	if err != nil {
		return err
	}
	resource, err := json.MarshalIndent(mapped.Resource, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  "+string(resource))
	fmt.Fprintln(w, "\nthe same set as a mapping file (druvasync --config accepts it under mappings:):")
	_, err = w.Write(out)
	return err
}
