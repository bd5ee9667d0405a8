package archive

import (
	"fmt"
	"strings"
)

// ValidateMemberName reports whether name may appear in an archive: a
// relative, slash-separated path of plain segments made of letters, digits
// and "._+@=,~-", with no empty, "." or ".." segment, at most MaxNameLength
// bytes, and not one of the reserved manifest names.
func ValidateMemberName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("member name is empty")
	case len(name) > MaxNameLength:
		return fmt.Errorf("member name is %d bytes, longer than %d", len(name), MaxNameLength)
	case name == manifestName, name == checksumsName:
		return fmt.Errorf("member name %q is reserved for the manifest", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("member name %q is absolute", name)
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch seg {
		case "":
			return fmt.Errorf("member name %q has an empty segment", name)
		case ".", "..":
			return fmt.Errorf("member name %q has a %q segment", name, seg)
		}
		for _, c := range []byte(seg) {
			if !nameByteAllowed(c) {
				return fmt.Errorf("member name %q contains the byte %q", name, c)
			}
		}
	}
	return nil
}

func nameByteAllowed(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._+@=,~-", c) >= 0
}
