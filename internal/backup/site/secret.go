package site

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

const maxSecretFileSize = 4096

// readSecret reads the credential named by an environment variable, or by
// the file that NAME_FILE points to. Exactly one of the two must be set.
func readSecret(env func(string) string, name string) (string, error) {
	value, file := env(name), env(name+"_FILE")
	switch {
	case value != "" && file != "":
		return "", fmt.Errorf("both %s and %s_FILE are set; set only one", name, name)
	case value == "" && file == "":
		return "", fmt.Errorf("%s (or %s_FILE) must be set for an s3 site", name, name)
	case file != "":
		var err error
		if value, err = readSecretFile(file); err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
	}
	for _, c := range []byte(value) {
		if c <= ' ' || c >= 0x7f {
			return "", fmt.Errorf("%s contains whitespace or control characters", name)
		}
	}
	return value, nil
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSecretFileSize {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFileSize)
	}
	value := strings.TrimRight(string(data), "\r\n")
	if value == "" {
		return "", errors.New(path + " is empty")
	}
	return value, nil
}
