package orm

import (
	"fmt"
	"strings"
)

// AccessError reports an operation the user is not allowed to perform: no model
// access right, a record outside the record rules, or a field restricted to groups.
type AccessError struct {
	Model     string
	Operation string // read, write, create or unlink
	Field     string // set when a field-level group restriction refused the access
	IDs       []int64
	reason    string
}

func (e *AccessError) Error() string {
	var b strings.Builder
	switch {
	case e.Field != "":
		fmt.Fprintf(&b, "you are not allowed to %s the field %q of %q records", verb(e.Operation), e.Field, e.Model)
	case len(e.IDs) > 0:
		fmt.Fprintf(&b, "due to security restrictions you are not allowed to %s %q records %s", verb(e.Operation), e.Model, formatIDs(e.IDs))
	default:
		fmt.Fprintf(&b, "you are not allowed to %s %q records", verb(e.Operation), e.Model)
	}
	if e.reason != "" {
		b.WriteString(" (")
		b.WriteString(e.reason)
		b.WriteString(")")
	}
	b.WriteString("; ask an administrator for access if you need it")
	return b.String()
}

func verb(op string) string {
	switch op {
	case opRead:
		return "read"
	case opWrite:
		return "modify"
	case opCreate:
		return "create"
	case opUnlink:
		return "delete"
	}
	return op
}

// MissingError reports records that do not exist (or were deleted).
type MissingError struct {
	Model string
	IDs   []int64
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%q records %s do not exist or have been deleted; reload and try again", e.Model, formatIDs(e.IDs))
}

// ValidationError reports input that does not fit the model: an unknown field, a
// value of the wrong type, a required field left empty, a failed constraint.
type ValidationError struct {
	Model   string
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	switch {
	case e.Model != "" && e.Field != "":
		return fmt.Sprintf("%s.%s: %s", e.Model, e.Field, e.Message)
	case e.Model != "":
		return fmt.Sprintf("%s: %s", e.Model, e.Message)
	}
	return e.Message
}

// UserError reports an operation refused for a business reason the user can fix,
// such as deleting a record other records still refer to.
type UserError struct {
	Message string
}

func (e *UserError) Error() string { return e.Message }

func validationf(model, field, format string, args ...any) *ValidationError {
	return &ValidationError{Model: model, Field: field, Message: fmt.Sprintf(format, args...)}
}

// formatIDs lists at most a few ids so that messages stay short.
func formatIDs(ids []int64) string {
	const show = 10
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i == show {
			fmt.Fprintf(&b, ", … %d more", len(ids)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", id)
	}
	b.WriteByte(']')
	return b.String()
}
