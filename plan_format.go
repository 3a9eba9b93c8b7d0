package druvascim

import (
	"fmt"
	"strings"
	"time"
)

// Format writes the plan for people, in the manner of `terraform plan`:
// one line per change with its properties, skips with their reasons, and a
// closing count. Unchanged objects are only counted.
func (p *Plan) Format() string {
	var b strings.Builder
	kind := "incremental"
	if p.Full {
		kind = "full"
	}
	fmt.Fprintf(&b, "druvascim plan (%s read, %s)\n\n", kind, p.Time.UTC().Format(time.RFC3339))
	for _, op := range p.Operations {
		var sym string
		switch op.Action {
		case ActionCreate:
			sym = "+ create "
		case ActionUpdate:
			sym = "~ update "
		case ActionDisable:
			sym = "- disable"
		case ActionDelete:
			sym = "x delete "
		default:
			if op.Reason == ReasonUnchanged && !op.Link && !op.DropLink {
				continue
			}
			sym = "  skip   "
		}
		name := op.DisplayName
		if name == "" {
			name = op.SourceID
		}
		fmt.Fprintf(&b, "  %s %q (source %s", sym, name, op.SourceID)
		if op.TargetID != "" {
			fmt.Fprintf(&b, ", target %s", op.TargetID)
		}
		b.WriteString(")")
		if op.Reason != "" {
			fmt.Fprintf(&b, " [%s]", op.Reason)
		}
		b.WriteByte('\n')
		if op.Action == ActionCreate {
			for _, c := range createChanges(&op) {
				fmt.Fprintf(&b, "        %s = %s\n", c.Path, changeValue(c.New, c.Redacted))
			}
		}
		for _, c := range op.Changes {
			fmt.Fprintf(&b, "        %s: %s → %s\n", c.Path, changeValue(c.Old, c.Redacted), changeValue(c.New, c.Redacted))
		}
		if op.Link && op.Action != ActionCreate {
			fmt.Fprintf(&b, "        link to existing user (matched by %s)\n", op.MatchedBy)
		}
		if op.Detail != "" && op.Action != ActionCreate {
			fmt.Fprintf(&b, "        # %s\n", op.Detail)
		}
	}
	c, unchanged := p.Counts, p.unchanged()
	fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to disable, %d to delete; %d unchanged, %d skipped.\n",
		c[ActionCreate], c[ActionUpdate], c[ActionDisable], c[ActionDelete], unchanged, c[ActionSkip]-unchanged)
	if p.Hold != nil {
		state := "HELD"
		if p.Approved {
			state = "APPROVED despite hold"
		}
		fmt.Fprintf(&b, "%s (%s): %s\n", state, p.Hold.Code, p.Hold.Message)
	}
	return b.String()
}

// unchanged counts the skips whose target already holds the desired values.
func (p *Plan) unchanged() int {
	n := 0
	for i := range p.Operations {
		if p.Operations[i].Action == ActionSkip && p.Operations[i].Reason == ReasonUnchanged {
			n++
		}
	}
	return n
}
