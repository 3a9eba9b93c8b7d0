package druvascim_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/druvascim/druvascim"
)

// A program that writes a state takes its lock for as long as it runs and
// saves through the store it locked. A second writer is refused at once,
// told which process holds the state.
func ExampleNewFileStore_lock() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "druvascim-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "druvascim.state")

	store, err := druvascim.NewFileStore(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	unlock, err := store.Lock(ctx)
	if err != nil {
		fmt.Println(err) // it matches druvascim.ErrLocked and names the holder
		return
	}
	defer unlock()

	other, _ := druvascim.NewFileStore(path)
	_, err = other.Lock(ctx)
	if errors.Is(err, druvascim.ErrLocked) {
		fmt.Println("second writer refused:", true, "holder is this process:", strings.Contains(err.Error(), fmt.Sprintf("process %d ", os.Getpid())))
	}

	st, _ := store.Load(ctx)
	st.Links["entra-object-id"] = "druva-user-id"
	if err := store.Save(ctx, st); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saved generation", st.Generation)
	// Output:
	// second writer refused: true holder is this process: true
	// saved generation 1
}
