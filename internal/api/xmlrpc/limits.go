// Package xmlrpc reads and writes XML-RPC messages as Odoo's clients exchange them:
// int (i4, i8), boolean, string, double, dateTime.iso8601, base64, struct, array and
// nil.
//
// Decoding is hardened for input from anyone on the Internet: document type
// declarations (and so every entity other than the five predefined ones) are refused,
// and the body size, nesting depth, number of values and size of each string are
// bounded before memory is spent on them.
package xmlrpc

// Limits bound what one decoded message may hold.
type Limits struct {
	// MaxBytes caps the message size.
	MaxBytes int64
	// MaxDepth caps how deeply arrays and structs nest.
	MaxDepth int
	// MaxValues caps the number of values in the message, at every depth.
	MaxValues int
	// MaxString caps the bytes of one string, base64 text or member name.
	MaxString int
}

// DefaultLimits fit every call an integration makes: a body of 16 MiB, nesting 32
// deep, half a million values and strings of 8 MiB.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 16 << 20, MaxDepth: 32, MaxValues: 500_000, MaxString: 8 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxValues <= 0 {
		l.MaxValues = d.MaxValues
	}
	if l.MaxString <= 0 {
		l.MaxString = d.MaxString
	}
	return l
}
