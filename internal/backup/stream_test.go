package backup

import (
	"errors"
	"testing"
)

// TestVerifyStreamResult: the streamed test restore counts for the object
// only if it read exactly the object's bytes; a short or long read is a
// mismatch whatever the restore said, and otherwise the restore's own
// outcome stands.
func TestVerifyStreamResult(t *testing.T) {
	broken := errors.New("integrity check failed")
	for _, tc := range []struct {
		name    string
		read    int64
		err     error
		size    int64
		wantErr error
	}{
		{"all of it, restored", 1000, nil, 1000, nil},
		{"all of it, restore failed", 1000, broken, 1000, broken},
		{"short read, restored", 999, nil, 1000, ErrHashMismatch},
		{"short read, restore failed", 10, broken, 1000, ErrHashMismatch},
		{"read more than the object", 1001, nil, 1000, ErrHashMismatch},
		{"nothing of an empty object", 0, nil, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := &verifyStream{n: tc.read, err: tc.err, done: make(chan struct{})}
			close(vs.done)
			err := vs.result(tc.size)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("result = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
