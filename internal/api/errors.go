package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// kind classifies what went wrong, and so how each protocol reports it.
type kind int

const (
	kindInternal kind = iota
	kindAccessDenied
	kindAccessError
	kindMissing
	kindValidation
	kindUser
	kindNotFound
	kindBadRequest
	kindSessionExpired
	kindRateLimited
	kindUnavailable
	kindTimeout
)

// callError is an error with a message fit for the caller.
type callError struct {
	kind       kind
	message    string
	retryAfter time.Duration
}

func (e *callError) Error() string { return e.message }

func errorOf(k kind, format string, args ...any) *callError {
	return &callError{kind: k, message: fmt.Sprintf(format, args...)}
}

// accessDenied is the one answer to bad credentials, unknown databases and refused
// tenants alike.
func accessDenied() *callError { return &callError{kind: kindAccessDenied, message: "Access Denied"} }

// odooKind gives, per kind, Odoo's exception name, XML-RPC fault code and JSON-2
// HTTP status, so that existing clients recognise each error.
var odooKinds = map[kind]struct {
	name   string
	fault  int
	status int
}{
	kindInternal:       {"odoo.exceptions.UserError", 1, http.StatusInternalServerError},
	kindAccessDenied:   {"odoo.exceptions.AccessDenied", 3, http.StatusUnauthorized},
	kindAccessError:    {"odoo.exceptions.AccessError", 4, http.StatusForbidden},
	kindMissing:        {"odoo.exceptions.MissingError", 2, http.StatusNotFound},
	kindValidation:     {"odoo.exceptions.ValidationError", 2, http.StatusUnprocessableEntity},
	kindUser:           {"odoo.exceptions.UserError", 2, http.StatusUnprocessableEntity},
	kindNotFound:       {"werkzeug.exceptions.NotFound", 1, http.StatusNotFound},
	kindBadRequest:     {"werkzeug.exceptions.BadRequest", 1, http.StatusBadRequest},
	kindSessionExpired: {"odoo.http.SessionExpiredException", 1, http.StatusUnauthorized},
	kindRateLimited:    {"werkzeug.exceptions.TooManyRequests", 1, http.StatusTooManyRequests},
	kindUnavailable:    {"werkzeug.exceptions.ServiceUnavailable", 1, http.StatusServiceUnavailable},
	kindTimeout:        {"odoo.exceptions.UserError", 1, http.StatusGatewayTimeout},
}

// classify turns any error of a call into a callError. Errors the ORM and the domain
// parser return carry messages written for users; anything else is an internal error
// whose details go to the log only.
func classify(err error) (*callError, bool) {
	var ce *callError
	if errors.As(err, &ce) {
		return ce, false
	}
	var (
		access  *orm.AccessError
		missing *orm.MissingError
		invalid *orm.ValidationError
		user    *orm.UserError
		dom     *domain.Error
	)
	switch {
	case errors.As(err, &access):
		return &callError{kind: kindAccessError, message: access.Error()}, false
	case errors.As(err, &missing):
		return &callError{kind: kindMissing, message: missing.Error()}, false
	case errors.As(err, &invalid):
		return &callError{kind: kindValidation, message: invalid.Error()}, false
	case errors.As(err, &user):
		return &callError{kind: kindUser, message: user.Error()}, false
	case errors.As(err, &dom):
		return &callError{kind: kindValidation, message: "invalid domain: " + strings.TrimPrefix(dom.Error(), "domain: ")}, false
	case errors.Is(err, context.DeadlineExceeded):
		return &callError{kind: kindTimeout, message: "the call took too long and was cancelled; nothing was changed"}, false
	}
	return &callError{kind: kindInternal, message: "an internal error occurred; nothing was changed and the error has been logged"}, true
}
