package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DefaultKeyFileName is the master key's file name inside the data directory.
const DefaultKeyFileName = "master.key"

// maxKeyFileSize bounds what Load reads: 64 hex characters plus CRLF.
const maxKeyFileSize = 2*KeySize + 2

// Create generates a new master key and stores it at path as KeySize raw
// bytes with mode 0600. It never replaces an existing file: if path exists
// the error wraps fs.ErrExist. Missing parent directories are created 0700.
func Create(path string) (*MasterKey, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create master key %q: generate: %w", path, err)
	}
	m, err := NewMasterKey(key)
	if err != nil {
		return nil, fmt.Errorf("create master key %q: %w", path, err)
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create master key %q: parent directory: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key %q: %w", path, err)
	}
	if err := writeAndClose(f, key); err != nil {
		// A partly written key must not be mistaken for a usable one later.
		os.Remove(path)
		return nil, fmt.Errorf("create master key %q: %w", path, err)
	}
	syncDir(dir)
	return m, nil
}

func writeAndClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

// syncDir makes a newly created directory entry durable. It is best effort:
// some file systems do not support syncing directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Load reads the master key at path. The file holds either KeySize raw bytes
// or 2*KeySize hexadecimal characters with an optional trailing newline (the
// form secrets managers usually hand out). It must be a regular file that
// neither group nor others may access. A missing file yields an error that
// wraps io/fs.ErrNotExist.
func Load(path string) (*MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load master key %q: %w", path, err)
	}
	defer f.Close()

	// Stat the open file rather than the path so the checks apply to the
	// bytes actually read, even if the path is swapped meanwhile.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load master key %q: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("load master key %q: not a regular file (%s)", path, info.Mode().Type())
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("load master key %q: permissions %04o let group or others access it; run chmod 600 on it", path, perm)
	}

	content, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load master key %q: %w", path, err)
	}
	key, err := parseKeyFile(content)
	if err != nil {
		return nil, fmt.Errorf("load master key %q: %w", path, err)
	}
	return NewMasterKey(key)
}

// parseKeyFile accepts raw key bytes or their hexadecimal form.
func parseKeyFile(content []byte) ([]byte, error) {
	if len(content) == KeySize {
		return bytes.Clone(content), nil
	}
	text := bytes.TrimSuffix(content, []byte("\n"))
	text = bytes.TrimSuffix(text, []byte("\r"))
	if len(text) == 2*KeySize {
		key := make([]byte, KeySize)
		if _, err := hex.Decode(key, text); err != nil {
			return nil, fmt.Errorf("%d characters but not hexadecimal", len(text))
		}
		return key, nil
	}
	if len(content) > maxKeyFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes; want %d raw bytes or %d hex characters", maxKeyFileSize, KeySize, 2*KeySize)
	}
	return nil, fmt.Errorf("file is %d bytes; want %d raw bytes or %d hex characters", len(content), KeySize, 2*KeySize)
}
