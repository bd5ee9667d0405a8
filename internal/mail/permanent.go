package mail

import (
	"errors"

	gomail "github.com/wneessen/go-mail"
)

// Permanent tells whether a Send error will recur however often the message is
// retried: the message itself was refused (ErrInvalidMessage), or the server
// answered with a 5xx reply (unknown recipient, message rejected). Everything
// else — the server unreachable, a timeout, a 4xx reply, a failed log-in the
// operator can fix — is worth retrying later.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}
