// Package mapping holds Entra-compatible attribute mappings: the Entra
// expression language, mapping types, matching attributes, scoping filters
// and the Druva default mapping set.
//
// # Expressions
//
// [ParseExpression] parses an expression once; [Expression.Evaluate]
// evaluates it against one object's [Attributes] and returns a [Value].
package mapping
