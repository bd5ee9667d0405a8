package site

import "errors"

// Errors to be tested with errors.Is.
var (
	// ErrNotFound: the object does not exist on the site.
	ErrNotFound = errors.New("object not found")
	// ErrUnavailable: the site could not be reached or failed transiently;
	// the operation may succeed if retried later. It wraps the cause.
	ErrUnavailable = errors.New("site unavailable")
	// ErrHostKey: the SFTP server presented a host key that the known_hosts
	// file does not accept. Never retried: it may be an impostor.
	ErrHostKey = errors.New("sftp host key not accepted")
	// ErrInvalidKey: an object key does not follow the key rules.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrMismatch: an object read back does not have the expected SHA-256.
	ErrMismatch = errors.New("object content does not match")
)
