package sandbox

import (
	"unicode"
	"unicode/utf8"
)

// checkSource refuses text the parser should never see: too long, not UTF-8,
// or holding control and invisible format characters (NUL, bidi overrides,
// zero-width joiners) that would make what a reviewer reads differ from what
// runs. Tabs and line breaks are ordinary white space.
func checkSource(src string, maxBytes int) error {
	if len(src) > maxBytes {
		return newError(ErrBudget, "the expression is %d bytes long; the limit is %d", len(src), maxBytes)
	}
	line, column := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return positioned(newError(ErrSyntax, "invalid UTF-8 byte 0x%02x", src[i]), line, column)
		case r == '\n':
			line, column = line+1, 0
		case r == '\t' || r == '\r':
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return positioned(newError(ErrSyntax, "forbidden character %U", r), line, column)
		}
		i += size
		column++
	}
	return nil
}

func positioned(e *Error, line, column int) *Error {
	e.Line, e.Column = line, column
	return e
}
