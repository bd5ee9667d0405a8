package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMinLength is the shortest password accepted unless configured longer.
const DefaultMinLength = 8

// PolicyError explains why a new password was refused. Its message is meant for the
// user and never contains the password.
type PolicyError struct {
	Reason string
}

func (e *PolicyError) Error() string { return "password refused: " + e.Reason }

// Policy decides whether a new password may be set. It follows current guidance
// (NIST SP 800-63B): a length floor, a generous ceiling, no character-class rules,
// and no passwords from a list of common ones.
type Policy struct {
	minLength int
	common    *CommonList
}

// NewPolicy returns a policy requiring at least minLength characters (0 means
// DefaultMinLength; less than DefaultMinLength is refused) and refusing the
// passwords of common.
func NewPolicy(minLength int, common *CommonList) (*Policy, error) {
	if minLength == 0 {
		minLength = DefaultMinLength
	}
	if minLength < DefaultMinLength || minLength > 128 {
		return nil, fmt.Errorf("minimum password length %d: must be between %d and 128", minLength, DefaultMinLength)
	}
	if common == nil {
		return nil, fmt.Errorf("password policy needs a common password list")
	}
	return &Policy{minLength: minLength, common: common}, nil
}

// MinLength returns the configured minimum, in characters.
func (p *Policy) MinLength() int { return p.minLength }

// Check returns a *PolicyError when password may not be set.
func (p *Policy) Check(password string) error {
	switch {
	case len(password) > MaxLength:
		return &PolicyError{Reason: fmt.Sprintf("it is longer than %d bytes", MaxLength)}
	case !utf8.ValidString(password):
		return &PolicyError{Reason: "it is not valid UTF-8 text"}
	case strings.TrimFunc(password, unicode.IsSpace) == "":
		return &PolicyError{Reason: "it is empty or only spaces"}
	case utf8.RuneCountInString(password) < p.minLength:
		return &PolicyError{Reason: fmt.Sprintf("it must be at least %d characters long", p.minLength)}
	case p.common.Contains(password) || p.common.Contains(strings.TrimFunc(password, unicode.IsSpace)):
		return &PolicyError{Reason: "it is one of the most commonly used passwords"}
	}
	return nil
}
