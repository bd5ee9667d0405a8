package domain

import (
	"fmt"
	"unicode/utf8"
)

// Error explains why a domain was refused. Message is written for the person
// who wrote the domain and never contains more than a short excerpt of the input.
type Error struct {
	// Offset is the byte offset in the source text, or -1 for decoded values.
	Offset int
	// Term is the zero-based index of the offending term in a decoded domain
	// list, or -1 when the error is not tied to one term.
	Term int
	// Message says what is wrong and, where possible, what to write instead.
	Message string
}

func (e *Error) Error() string {
	switch {
	case e.Offset >= 0:
		return fmt.Sprintf("domain: at offset %d: %s", e.Offset, e.Message)
	case e.Term >= 0:
		return fmt.Sprintf("domain: term %d: %s", e.Term, e.Message)
	default:
		return "domain: " + e.Message
	}
}

func errorAtOffset(offset int, format string, args ...any) *Error {
	return &Error{Offset: offset, Term: -1, Message: fmt.Sprintf(format, args...)}
}

func errorf(format string, args ...any) *Error {
	return &Error{Offset: -1, Term: -1, Message: fmt.Sprintf(format, args...)}
}

// excerptLen keeps error messages readable when the offending input is huge.
const excerptLen = 40

// excerpt quotes s for an error message, cut to a few dozen bytes on a rune boundary.
func excerpt(s string) string {
	if len(s) <= excerptLen {
		return fmt.Sprintf("%q", s)
	}
	cut := excerptLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}
