package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Exit statuses, as the README documents them for scripts.
const (
	exitConverged = 0 // everything converged
	exitFailures  = 1 // some objects failed; the report says which
	exitBadInput  = 2 // bad input or configuration
	exitHeld      = 3 // held by a safety rule
)

// command is one subcommand of druvasync.
type command struct {
	name    string
	args    string // argument synopsis for the usage line
	summary string
	help    string // longer help, with examples
	run     func(ctx context.Context, env *environment, args []string) int
}

// environment is what a command may touch: its streams and the process
// environment, injectable for tests.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stdout is an interactive terminal; progress
	// bars are drawn only then.
	isTerminal bool
	// signals is true when the process owns its signals (the binary, not
	// a test): serve then exits at once on a second SIGTERM or SIGINT.
	signals bool
}

func main() {
	ctx, stop := signalContext(context.Background())
	defer stop()
	env := &environment{
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		getenv:     os.Getenv,
		isTerminal: isTerminal(os.Stdout),
		signals:    true,
	}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// stopSignal is the cause of a run stopped by SIGINT or SIGTERM.
type stopSignal struct{ sig os.Signal }

func (s *stopSignal) Error() string {
	return fmt.Sprintf("stopped by %s: no new operation was started, the ones in flight finished, and the state and the log were saved; run again to continue", signalName(s.sig))
}

func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	if sig == os.Interrupt {
		return "SIGINT"
	}
	return sig.String()
}

// signalContext returns a context canceled, with a [stopSignal] cause, on
// the first SIGINT or SIGTERM (systemd, Kubernetes, docker stop and
// timeout send SIGTERM). A cycle then starts no new operation, gives the
// ones in flight up to 10 seconds, saves its state and writes its log.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			cancel(&stopSignal{sig: sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// withCause adds to err why ctx ended (a signal, --timeout), when it ended
// and err does not say so already.
func withCause(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if err == nil || cause == nil || errors.Is(err, cause) {
		return err
	}
	if cause == context.Canceled || cause == context.DeadlineExceeded {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}

// cycleTimeout is the cause of a cycle that ran past --timeout.
type cycleTimeout struct{ d time.Duration }

func (t *cycleTimeout) Error() string {
	return fmt.Sprintf("the cycle ran longer than --timeout %s and was stopped; what it did is saved, and the next run continues (raise --timeout, or 0 for no limit, for a long initial sync)", t.d)
}

// withTimeout bounds ctx by --timeout (0: no bound).
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, d, &cycleTimeout{d: d})
}

// commands lists every subcommand.
func commands() []command {
	return []command{
		demoCommand(),
		syncCommand(),
		serveCommand(),
		pauseCommand(),
		resumeCommand(),
		restartCommand(),
		syncNowCommand(),
		approveCommand(),
		planCommand(),
		restartCommand(),
		provisionCommand(),
		testConnectionCommand(),
		exprCommand(),
		fakeDruvaCommand(),
		fakeGraphCommand(),
		logsCommand(),
		cyclesCommand(),
	}
}

// run dispatches args to a subcommand and returns the exit status.
func run(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 {
		usage(env.stderr)
		return exitBadInput
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					commandUsage(env.stdout, c, nil)
					return exitConverged
				}
			}
		}
		usage(env.stdout)
		return exitConverged
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "druvasync: unknown command %q; run \"druvasync help\" for the list\n", name)
	return exitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "druvasync provisions Microsoft Entra ID users into Druva over SCIM.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: druvasync COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"druvasync COMMAND --help\" for a command's flags and examples.")
	fmt.Fprintln(w, "Exit status: 0 converged, 1 some objects failed, 2 bad input, 3 held by a safety rule.")
}

func commandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: druvasync %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	if fs != nil {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// parseFlags parses args with fs. It reports help requests and bad flags as
// an exit status: ok is false when the caller must return status.
func parseFlags(env *environment, c command, fs *flag.FlagSet, args []string) (status int, ok bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		commandUsage(env.stdout, c, fs)
		return exitConverged, false
	case err != nil:
		fmt.Fprintf(env.stderr, "druvasync %s: %v; run \"druvasync %s --help\" for the flags\n", c.name, err, c.name)
		return exitBadInput, false
	case fs.NArg() > 0:
		fmt.Fprintf(env.stderr, "druvasync %s: unexpected argument %q; run \"druvasync %s --help\"\n", c.name, fs.Arg(0), c.name)
		return exitBadInput, false
	}
	return 0, true
}

// fail prints one clear sentence for err and returns status.
func fail(env *environment, cmd string, status int, err error) int {
	fmt.Fprintf(env.stderr, "druvasync %s: %v\n", cmd, err)
	return status
}
