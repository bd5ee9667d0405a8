// Command instanterp runs and manages an Instant-ERP installation.
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
	// Users' time zones work on a host without a zone database.
	_ "time/tzdata"

	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// Exit codes: 0 success, 1 the command failed, 2 the command was wrong.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runWithInput(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// env gives commands their process environment, injected so tests can run in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	lookup func(string) (string, bool)
}

type command struct {
	name, summary string
	run           func(e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTPS server", serveCommand},
		{"tenant", "create, list, show, suspend, resume or delete tenants", tenantCommand},
		{"user", "print or mail a user's one-time password reset or set-password link", userCommand},
		{"backup", "run, list, verify, prune, restore or export backups; show their status", backupCommand},
		{"dr", "disaster recovery: drill a restore of every tenant from one site", drCommand},
		{"doctor", "check the configuration and the backups; one line per problem", doctorCommand},
		{"version", "print the version", versionCommand},
	}
}

// run is runWithInput with nothing on standard input.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	return runWithInput(ctx, args, strings.NewReader(""), stdout, stderr, lookup)
}

func runWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	e := env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, lookup: lookup}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(stderr, c.run(e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "instanterp: unknown command %q (run instanterp --help)\n", args[0])
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: instanterp COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun instanterp COMMAND --help for a command's flags. Every flag --NAME can also be set as INSTANTERP_NAME.")
}

// usageError marks a mistake in how a command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err as one line and maps it to an exit code.
func exitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "instanterp: %s\n", msg)
	var ue usageError
	var ce *config.UsageError
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, tenancy.ErrInvalidName) || errors.Is(err, errFlagParse) {
		return exitUsage
	}
	return exitFailure
}

var errFlagParse = errors.New("bad flags")

// parseFlags parses flags that may stand before, between or after positional
// arguments (`tenant create acme --admin-email a@example.com`) and returns the
// positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errFlagParse, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// positionalArgument checks the positional arguments of "cmd sub": exactly one (named
// what) when want, none otherwise, and returns it.
func positionalArgument(cmd, sub, what string, want bool, rest []string) (string, error) {
	switch {
	case want && len(rest) != 1:
		return "", usagef("%s %s needs exactly one %s", cmd, sub, what)
	case !want && len(rest) != 0:
		return "", usagef("%s %s takes no arguments", cmd, sub)
	case want:
		return rest[0], nil
	}
	return "", nil
}
