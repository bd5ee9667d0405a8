package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// OutboxDir is the outbox's place under the data directory.
const OutboxDir = "outbox"

// Outbox writes each message as an .eml file in one directory. Files appear whole
// (written to a temporary name, synced, then renamed) and only their owner can read
// them, since a reset link in one is as good as a password.
type Outbox struct {
	dir  string
	from string
	now  func() time.Time
}

// NewOutbox returns an Outbox writing under dir (created with mode 0700 if absent),
// sending from the address from. now is the clock; nil means time.Now.
func NewOutbox(dir, from string, now func() time.Time) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("outbox: no directory")
	}
	if _, err := ParseAddress(from); err != nil {
		return nil, fmt.Errorf("outbox sender: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create outbox %s: %w", dir, err)
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{dir: dir, from: from, now: now}, nil
}

// Dir is where the messages go.
func (o *Outbox) Dir() string { return o.dir }

// Send writes msg as <unix nanoseconds>-<random>.eml.
func (o *Outbox) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := o.now()
	m, err := build(msg, o.from, now)
	if err != nil {
		return err
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	name := strconv.FormatInt(now.UnixNano(), 10) + "-" + hex.EncodeToString(suffix) + ".eml"
	tmp, err := os.CreateTemp(o.dir, ".incoming-*")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// CreateTemp creates the file with mode 0600: only the service account reads it.
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := m.WriteTo(tmp); err != nil {
		return fmt.Errorf("outbox: write message: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(o.dir, name)); err != nil {
		os.Remove(tmp.Name())
		done = true
		return fmt.Errorf("outbox: %w", err)
	}
	done = true
	return nil
}
