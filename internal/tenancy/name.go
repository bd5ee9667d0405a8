package tenancy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// A tenant name becomes a DNS label (<name>.<domain>), a directory name and part of
// PostgreSQL object names, so it is restricted to what is safe in all three.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)

// reservedNames are labels the platform uses itself, or that users would mistake for it.
var reservedNames = map[string]bool{
	"www": true, "admin": true, "api": true, "staff": true, "static": true, "mail": true,
	"ftp": true, "localhost": true, "smtp": true, "imap": true, "pop": true, "pop3": true,
	"webmail": true, "mx": true, "ns": true, "ns1": true, "ns2": true, "dns": true,
	"autoconfig": true, "autodiscover": true, "support": true, "help": true, "status": true,
	"docs": true, "doc": true, "blog": true, "app": true, "cdn": true, "assets": true,
	"control": true, "console": true, "root": true, "postgres": true, "template0": true,
	"template1": true, "billing": true, "account": true, "accounts": true, "login": true,
	"signup": true, "security": true, "backup": true, "backups": true, "dr": true,
	"instanterp": true, "demo-admin": true, "test": true,
}

// ErrInvalidName is wrapped by every name refusal.
var ErrInvalidName = errors.New("invalid tenant name")

// ValidateName checks a proposed tenant name and says what is wrong with it.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > 63:
		return fmt.Errorf("%w: %d characters, at most 63", ErrInvalidName, len(name))
	case !namePattern.MatchString(name):
		return fmt.Errorf("%w %q: use 2 to 63 lowercase letters, digits and hyphens, starting with a letter", ErrInvalidName, printable(name))
	case strings.HasSuffix(name, "-"):
		return fmt.Errorf("%w %q: must not end with a hyphen", ErrInvalidName, name)
	case strings.Contains(name, "--"):
		// Also rules out IDNA "xn--" labels, which render as look-alikes of other names.
		return fmt.Errorf("%w %q: must not contain two hyphens in a row", ErrInvalidName, name)
	case reservedNames[name]:
		return fmt.Errorf("%w %q: reserved", ErrInvalidName, name)
	}
	return nil
}

// printable keeps error messages on one readable line whatever the input held.
func printable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
