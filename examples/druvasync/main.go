// Command druvasync is the reference command-line tool of druvascim.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "druvasync: not built yet; the commands arrive with the CLI issue")
	os.Exit(2)
}
