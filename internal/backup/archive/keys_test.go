package archive

import (
	"strings"
	"testing"
)

func TestParseRecipients(t *testing.T) {
	platform := mustIdentity(t, testPlatformSecret).Recipient().String()
	recovery := mustIdentity(t, testRecoverySecret).Recipient().String()
	tests := []struct {
		name    string
		keys    []string
		want    int
		wantErr string
	}{
		{"platform only", []string{platform}, 1, ""},
		{"platform and recovery", []string{platform, "  " + recovery + "\n"}, 2, ""},
		{"none", nil, 0, "no recipients"},
		{"empty", []string{platform, " "}, 0, "recipient 2 is empty"},
		{"duplicate", []string{platform, platform}, 0, "repeats recipient 1"},
		{"secret key", []string{testRecoverySecret}, 0, "secret key"},
		{"ssh key", []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGjz"}, 0, "must start with"},
		{"post-quantum", []string{"age1pq1qqqq"}, 0, "post-quantum"},
		{"bad checksum", []string{platform[:len(platform)-1] + "q"}, 0, "not a valid age public key"},
		{"too many", strings.Fields(strings.Repeat(platform+" ", maxRecipients+1)), 0, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecipients(tt.keys)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
					t.Fatalf("error echoes a secret key: %v", err)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("got %d recipients, err %v; want %d", len(got), err, tt.want)
			}
		})
	}
}

func TestGenerateIdentityIsUniqueAndParses(t *testing.T) {
	a, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if a.String() == b.String() {
		t.Fatal("two generated identities are equal")
	}
	back, err := ParseIdentity(a.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.Recipient().String() != a.Recipient().String() {
		t.Fatal("parsed identity has a different recipient")
	}
	if _, err := ParseRecipients([]string{a.Recipient().String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseIdentity("AGE-SECRET-KEY-1NOPE"); err == nil {
		t.Fatal("ParseIdentity accepted a malformed key")
	}
}
