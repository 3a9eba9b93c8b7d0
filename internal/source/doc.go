// Package source declares the typed form of one object read from the source
// directory. The root package consumes it and entra produces it; keeping it
// here lets both name the same type without importing each other. The root
// package re-exports it as druvascim.Object, and callers should use that name.
package source
