package xmlrpc

import "fmt"

// Fault is an XML-RPC fault: the error answer of a call.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string { return fmt.Sprintf("XML-RPC fault %d: %s", f.Code, f.String) }

// Error reports a message that is not well-formed XML-RPC or exceeds the limits.
// Its text is meant for the client: it names what is wrong, not how we parse.
type Error struct {
	msg string
}

func (e *Error) Error() string { return e.msg }

func errorf(format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...)}
}
