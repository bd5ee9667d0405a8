package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"strings"
)

// commonPasswordsGz is the union of two MIT-licensed lists shipped in npm packages,
// lower-cased and de-duplicated; see COMMON-PASSWORDS-LICENSE for both notices.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// CommonList is a set of passwords too common to be allowed, compared case-insensitively.
type CommonList struct {
	set map[string]struct{}
}

// LoadCommonList decompresses the embedded list.
func LoadCommonList() (*CommonList, error) {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		return nil, fmt.Errorf("open common password list: %w", err)
	}
	defer zr.Close()
	set := make(map[string]struct{}, 20_000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read common password list: %w", err)
	}
	return &CommonList{set: set}, nil
}

// Len returns the number of distinct entries.
func (c *CommonList) Len() int { return len(c.set) }

// Contains reports whether password, ignoring case, is on the list.
func (c *CommonList) Contains(password string) bool {
	_, found := c.set[strings.ToLower(password)]
	return found
}
