// Package mapping turns source objects (Entra users, as plain attribute
// maps) into SCIM resources the way Microsoft Entra's provisioning service
// does: the Entra expression language, attribute mappings of type Direct,
// Constant, Expression and None, default values, "apply always" or "only
// on creation", matching attributes with precedence, scoping filters, and
// the Druva gallery app's default mapping set.
//
// A minimal use:
//
//	set := mapping.DruvaDefault()           // a fresh, immutable set
//	set, err := set.WithOptions(mapping.WithScope(mapping.ScopingFilter{{mapping.In("department", "Sales", "Finance")}}))
//	attrs := ...                            // the source must deliver set.SourceAttributes()
//	in, err := set.InScope(attrs)          // the scoping filter
//	m, err := set.Map(ctx, attrs)          // create form, update values, matching keys
//	if len(m.Missing) > 0 { /* Druva needs userName, displayName and an email: report, do not send */ }
//
// # Expressions
//
// [ParseExpression] parses an expression once into an immutable
// [Expression]; [Expression.Evaluate] evaluates it against one object's
// [Attributes] and returns a [Value]. Every function of Microsoft's
// reference
// (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data)
// is implemented, one row of a function table each, nested to any depth,
// with omitted arguments (Switch([x], , "1", "a")), numeric and &H hexadecimal
// literals, vbTextCompare and vbBinaryCompare, the comparison operators
// = <> > >= < <= inside IIF and CBool conditions, \" and \\ escapes in
// strings, and white space or new lines between tokens. Regular expressions
// follow .NET (github.com/dlclark/regexp2/v2): named groups (?<name>…) and
// ${name} in replacements.
//
// Faults are found when parsing, with their position: an unknown or
// wrongly cased function (with a suggestion), a wrong number of arguments,
// an unterminated string, an invalid regular expression literal, a nested
// SelectUniqueValue, IgnoreFlowIfNullOrEmpty as an IIF condition, an
// expression over 10,000 characters. They are
// [*SyntaxError] values.
//
// Evaluation takes its clock ([WithClock]), randomness ([WithRandom]), the
// tenant's default domain ([WithDefaultDomain]) and SelectUniqueValue's
// uniqueness check ([WithUniqueCheck]) from options, so tests are
// deterministic. Options are plain values; evaluating an expression that
// builds no new text allocates nothing.
//
// # Values
//
// A [Value] knows its [Kind]: NULL, string, Boolean, integer, DateTime or
// multi-valued. [Value.String] renders as Entra sends values: "True" and
// "False", decimal integers, DateTime as M/d/yyyy h:mm:ss tt in UTC.
// Redact marks a value: [Value.String] still gives the real text (it is
// what is sent) but fmt, log/slog and [Value.LogValue] print
// [RedactedText], and [Assignment.Redacted] tells reports to do the same.
//
// # Mappings
//
// A [Set] holds [Mapping] rows for one object type, its [ScopingFilter] and
// the target paths that are Required ([Set.Required], the one home of that
// rule). It is immutable: [NewSet] validates and compiles it once, and
// [Set.With], [Set.Replace], [Set.Without] and [Set.WithOptions] return new
// sets. [Set.SourceAttributes] lists exactly the source attributes it
// reads, so a reader can fetch them or refuse to start. [Set.Map] evaluates
// each mapping once and returns a [Mapped]:
//
//   - Resource, the create form: every mapping, defaults filled where the
//     value is NULL, NULL values omitted (Entra never sends NULL), plus
//     "schemas". Boolean targets (active, primary) get JSON Booleans,
//     multi-valued results []any, everything else strings.
//   - Update: the mappings that apply Always and gave a value, in set order,
//     for the planner to compare and patch. Defaults and OnCreate mappings
//     never appear here.
//   - Keys: the matching keys in precedence order, only those with a
//     value; the first key that finds a target object wins, keys are never
//     combined.
//   - Missing: Required target paths without a value. Map does not fail
//     for them; the planner reports the object (Druva: "email is mandatory")
//     and never sends it.
//   - FillEmpty: the defaults of None mappings, to write wherever the
//     target object has no value ([Mapped.Updates] merges them).
//
// Mapping types and defaults follow Microsoft's text
// (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes):
// type None leaves the target attribute unmodified, "however, if the
// target attribute is ever empty, it's populated with the Default value",
// so its default is sent on create and filled on any update that finds the
// target empty; the "default value if null" of the other types "will only
// be provisioned when a user is created", never on update.
//
// Target paths are SCIM attribute paths, parsed once per Set with
// [scim.ParsePath]: "userName", "name.givenName", `emails[type eq
// "work"].value` (which creates the {"type": "work"} element), extension
// attributes such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
//
// # The Druva default set
//
// [DruvaDefault] reproduces the Entra gallery app as far as Microsoft
// documents it (userPrincipalName → userName, matching; Not([IsSoftDeleted])
// → active; displayName; mail → emails[type eq "work"].value; givenName and
// surname → name.*), adds mailNickname → externalId, and sends department
// and companyName as the enterprise extension's department and
// organization: those are the attribute names to use in Druva's own "SCIM
// mappings" (profile, storage, quota) filters.
//
// # Scoping filters
//
// A [ScopingFilter] is an OR of groups of AND-ed [Clause] values, with the
// fourteen operators spelled as Entra spells them (EQUALS … "!&"; the clause constructors [Equals] … [NotIn] spell them).
// A clause over an absent or empty attribute is false, except IS NULL.
// Greater_Than and Greater_Than_OR_EQUALS compare integers only. "&" and
// "!&", which Microsoft documents only vaguely, are read here as "the
// attribute is (is not) one of the comma-separated values".
//
// # Mapping files
//
// [ParseSet], [LoadSet] and [Set.Save] read and write one hand-writable
// format, in YAML or JSON. Each mapping names its target and exactly one of
// direct (a source attribute), constant or expression; a mapping with none
// of them is of type None (it only fills its default where the target has
// no value). apply is
// Always (the default) or OnCreate; match is the matching precedence.
//
//	name: Druva users
//	object: User
//	required: [userName, displayName, 'emails[type eq "work"].value']
//	mappings:
//	  - target: userName
//	    direct: userPrincipalName
//	    match: 1
//	  - target: active
//	    expression: Not([IsSoftDeleted])
//	  - target: displayName
//	    expression: 'Join(" ", [givenName], [surname])'
//	  - target: emails[type eq "work"].value
//	    direct: mail
//	  - target: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
//	    direct: department
//	    default: Unassigned          # sent on create when department is empty
//	  - target: title
//	    constant: Employee
//	    apply: OnCreate
//	scope:                           # OR of groups; each group ANDs its clauses
//	  - - attribute: department
//	      operator: EQUALS
//	      value: Finance
//	    - attribute: companyName
//	      operator: IS NOT NULL
//
// [ImportEntraSchema] reads the mappings and scoping filters of a
// synchronization schema exported from the Entra portal or Graph.
//
// # Performance
//
// Expressions are parsed, target paths resolved and regular-expression
// literals compiled once per [Set]; [Set.Map] then only looks attributes up,
// evaluates, and builds the result: the maps and slices of the create form,
// Update and Keys (14 allocations per user for the Druva default set, about
// the same as building that JSON shape by hand; see BenchmarkMapDruvaDefault
// and BenchmarkCreateFormFloor). A compiled Set is safe for concurrent use:
// map large tenants on every core (BenchmarkMap1MUsers/parallel).
//
// # Bounds
//
// Configuration never exhausts the process. A mapping file is at most
// 1 MiB, a set at most 500 mappings,
// 500 scoping clauses and 500 regular expressions. One
// expression produces at most [MaxValueSize] bytes per value: a larger
// result fails that object with [ErrValueTooLarge]. A regular-expression
// match runs at most [DefaultRegexTimeout] ([WithRegexTimeout]); a scoping
// clause that times out fails that object only, with a [*ScopeError]
// matching [ErrRegexTimeout].
//
// # Errors
//
// Building a set ([NewSet], its builders, and every load) reports every problem of a
// set at once in a [*ValidationError] (errors.Is [ErrInvalidSet]): bad
// target paths, attributes the SCIM schema does not have, expression faults
// with their position, two mappings to one target, a matching attribute
// that cannot be filtered on, duplicate precedences, no matching attribute
// at all, bad scoping clauses. Evaluation failures are [*EvalError] values
// (inside a [*MappingError] from Map) that match [ErrBadArgument],
// [ErrBadAttribute], [ErrNoDefaultDomain], [ErrNoUniqueCheck],
// [ErrNoUniqueValue], [ErrIgnoreObjectFlow], [ErrValueTooLarge] or
// [ErrRegexTimeout] with errors.Is. Malformed files match [ErrConfig];
// malformed scoping clauses [ErrScope], and so does a clause that fails
// for one object ([*ScopeError]).
//
// # Decisions where Microsoft's documentation is unclear
//
//   - A comparison with a NULL operand is false (Entra says such an IIF
//     condition "fails"); an empty string compares as a string.
//   - String functions give NULL for a NULL source, except where the
//     reference says otherwise (Left and Word give "", Len gives 0, Count
//     gives 0, Join skips NULL and "" sources and gives NULL only when every
//     source is NULL). A multi-valued argument of a single-valued function
//     contributes its first value; NormalizeDiacritics, StripSpaces, ToLower
//     and ToUpper map every value.
//   - Coalesce treats "" as a value. Split does not trim and gives NULL for
//     an empty source. Item out of range gives NULL.
//   - Mid with start < 1 or a negative length, and InStr with start < 1, are
//     errors (as in .NET); character positions count Unicode code points.
//   - SingleAppRoleAssignment of several roles gives the first;
//     AppRoleAssignmentsComplex and AssertiveAppRoleAssignmentsComplex give
//     every role as a multi-valued result.
//   - NormalizeDiacritics follows the documented table exactly; a table
//     letter followed by combining marks (decomposed input) loses the marks.
//   - IsString is true for text values only.
//   - CDate accepts ISO 8601 (with or without time and offset) and M/d/yyyy
//     h:mm:ss tt; no offset means UTC. FormatDateTime parses and renders
//     .NET custom formats itself (invariant culture, results in UTC) and
//     rejects a standard format it cannot honour.
//   - RandomString's special characters are the Windows password
//     complexity set.
//   - IgnoreAttributeFlow gives NULL; IgnoreObjectFlow fails evaluation with
//     [ErrIgnoreObjectFlow] so the planner can skip the object.
//   - Attribute names are matched exactly (case-sensitive), like function
//     names. Regular-expression matches time out after 250 ms.
//   - A target written with an Entra attribute name gets a hint: jobTitle
//     is title, employeeNumber the enterprise extension's employeeNumber.
package mapping
