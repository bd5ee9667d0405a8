package domain

// Limits bounds the work one domain may cause. A field that is zero or
// negative takes its value from DefaultLimits, so Limits{} is usable.
type Limits struct {
	// MaxTerms caps the operators and leaves in the domain list.
	MaxTerms int
	// MaxDepth caps the nesting depth of the normalised tree; a lone leaf has depth 1.
	MaxDepth int
	// MaxListLen caps the elements of one list value (for 'in', 'not in', 'child_of').
	MaxListLen int
	// MaxStringLen caps the bytes of one string value.
	MaxStringLen int
	// MaxSourceLen caps the bytes of domain text given to Parse or Validate.
	MaxSourceLen int
}

// DefaultLimits returns limits generous for hand-written rules and API
// searches, yet small enough that a hostile domain costs little.
func DefaultLimits() Limits {
	return Limits{
		MaxTerms:     1000,
		MaxDepth:     64,
		MaxListLen:   10000,
		MaxStringLen: 64 << 10,
		MaxSourceLen: 256 << 10,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxTerms <= 0 {
		l.MaxTerms = d.MaxTerms
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxListLen <= 0 {
		l.MaxListLen = d.MaxListLen
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = d.MaxStringLen
	}
	if l.MaxSourceLen <= 0 {
		l.MaxSourceLen = d.MaxSourceLen
	}
	return l
}
