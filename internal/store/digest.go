package store

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
)

// MigrationsDigest identifies the embedded migrations of schema (file names and
// contents, every engine), so that a database can record which set it was brought to.
func MigrationsDigest(schema Schema) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrationFiles, "migrations/"+string(schema), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path + "\x00"))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
