package password

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

// fastHasher returns a hasher with few rounds for tests about behaviour rather than
// parameters; the 600,000-round default is tested separately.
func fastHasher(t *testing.T, rounds int) *Hasher {
	t.Helper()
	h, err := newHasher(rounds)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewHasherRounds(t *testing.T) {
	cases := []struct {
		rounds  int
		want    int
		wantErr bool
	}{
		{rounds: 0, want: DefaultRounds},
		{rounds: DefaultRounds, want: DefaultRounds},
		{rounds: DefaultRounds + 1, want: DefaultRounds + 1},
		{rounds: MaxRounds, want: MaxRounds},
		{rounds: DefaultRounds - 1, wantErr: true},
		{rounds: 25_000, wantErr: true},
		{rounds: -1, wantErr: true},
		{rounds: MaxRounds + 1, wantErr: true},
	}
	for _, c := range cases {
		h, err := NewHasher(c.rounds)
		if c.wantErr {
			if err == nil {
				t.Errorf("NewHasher(%d) accepted", c.rounds)
			}
			continue
		}
		if err != nil || h.Rounds() != c.want {
			t.Errorf("NewHasher(%d) = %v, %v; want rounds %d", c.rounds, h, err, c.want)
		}
	}
}

func TestHashFormatAtDefaultRounds(t *testing.T) {
	h, err := NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$pbkdf2-sha512$600000$") {
		t.Fatalf("hash %q does not start with the passlib prefix and 600000 rounds", stored)
	}
	parsed, err := parseHash(stored)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.salt) != SaltSize || len(parsed.checksum) != 64 || parsed.rounds != DefaultRounds {
		t.Fatalf("salt %d bytes, checksum %d bytes, rounds %d", len(parsed.salt), len(parsed.checksum), parsed.rounds)
	}
	if strings.ContainsAny(stored, "+=") {
		t.Fatalf("hash %q is not ab64 (no '+', no padding)", stored)
	}
	ok, rehash, err := h.Verify("correct horse battery staple", stored)
	if !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v; want match without rehash", ok, rehash, err)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := fastHasher(t, 1000)
	a, _ := h.Hash("same password")
	b, _ := h.Hash("same password")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
}

// The vectors were produced by testdata/make_passlib_vectors.py, which reproduces
// passlib's pbkdf2_sha512 with hashlib (see the script for how).
func TestPasslibVectors(t *testing.T) {
	f, err := os.Open("testdata/passlib-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		hexPassword, stored, found := strings.Cut(sc.Text(), "\t")
		if !found {
			t.Fatalf("bad vector line %q", sc.Text())
		}
		pw, err := hex.DecodeString(hexPassword)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parseHash(stored)
		if err != nil {
			t.Fatalf("vector %d: %v", n, err)
		}
		if again := formatHash(parsed.rounds, parsed.salt, parsed.checksum); again != stored {
			t.Errorf("vector %d re-encodes as %q, want %q", n, again, stored)
		}
		ok, rehash, err := h.Verify(string(pw), stored)
		if !ok || err != nil {
			t.Errorf("vector %d (%d rounds) does not verify: %v", n, parsed.rounds, err)
		}
		if rehash != (parsed.rounds != DefaultRounds) {
			t.Errorf("vector %d (%d rounds): needsRehash = %v", n, parsed.rounds, rehash)
		}
		if parsed.rounds < DefaultRounds {
			if ok, _, _ := h.Verify(string(pw)+"x", stored); ok {
				t.Errorf("vector %d accepts a wrong password", n)
			}
		}
		n++
	}
	if n < 3 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	old := fastHasher(t, 500)
	current := fastHasher(t, 1000)
	storedOld, _ := old.Hash("a long enough password")
	storedCurrent, _ := current.Hash("a long enough password")
	shortSalt := formatHash(1000, []byte("12345678"), make([]byte, 64))

	cases := []struct {
		name, password, stored string
		ok, rehash             bool
	}{
		{"current hash", "a long enough password", storedCurrent, true, false},
		{"fewer rounds", "a long enough password", storedOld, true, true},
		{"more rounds", "a long enough password", func() string { h := fastHasher(t, 2000); s, _ := h.Hash("a long enough password"); return s }(), true, true},
		{"wrong password, old hash", "a long enough passworD", storedOld, false, false},
		{"legacy plaintext", "plain old secret", "plain old secret", true, true},
		{"legacy plaintext, wrong", "plain old secreT", "plain old secret", false, false},
		{"legacy plaintext prefix", "plain", "plain old secret", false, false},
		{"no local password", "", "", false, false},
		{"no local password, any input", "anything", "", false, false},
		{"short salt, wrong", "x", shortSalt, false, false},
	}
	for _, c := range cases {
		ok, rehash, err := current.Verify(c.password, c.stored)
		if err != nil || ok != c.ok || rehash != c.rehash {
			t.Errorf("%s: Verify = %v, %v, %v; want %v, %v", c.name, ok, rehash, err, c.ok, c.rehash)
		}
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	h := fastHasher(t, 1000)
	good, _ := h.Hash("a long enough password")
	parts := strings.Split(good, "$")
	cases := []string{
		"$pbkdf2-sha512$",
		"$pbkdf2-sha512$1000$",
		"$pbkdf2-sha512$1000$" + parts[3],
		"$pbkdf2-sha512$01000$" + parts[3] + "$" + parts[4],
		"$pbkdf2-sha512$-1000$" + parts[3] + "$" + parts[4],
		"$pbkdf2-sha512$0$" + parts[3] + "$" + parts[4],
		"$pbkdf2-sha512$99999999999$" + parts[3] + "$" + parts[4],
		"$pbkdf2-sha512$1000$" + parts[3] + "$" + parts[4][:40],
		"$pbkdf2-sha512$1000$" + parts[3] + "$" + parts[4] + "AA",
		"$pbkdf2-sha512$1000$$" + parts[4],
		"$pbkdf2-sha512$1000$" + strings.Replace(parts[3], parts[3][:1], "+", 1) + "$" + parts[4],
		"$pbkdf2-sha512$1000$" + parts[3] + "==$" + parts[4],
		good + "$extra",
		"$pbkdf2-sha512$1000$" + strings.Repeat("A", 2000) + "$" + parts[4],
	}
	for _, stored := range cases {
		before := h.DummyVerifications()
		ok, _, err := h.Verify("a long enough password", stored)
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformedHash", stored, ok, err)
			continue
		}
		if strings.Contains(err.Error(), stored) || strings.Contains(err.Error(), "a long enough password") {
			t.Errorf("error %q repeats the stored value or the password", err)
		}
		if h.DummyVerifications() != before+1 {
			t.Errorf("Verify(%q) skipped the dummy work", stored)
		}
	}
}

func TestEveryPathDoesOneDerivation(t *testing.T) {
	h := fastHasher(t, 1000)
	stored, _ := h.Hash("a long enough password")
	paths := []struct {
		name string
		run  func()
	}{
		{"right password", func() { h.Verify("a long enough password", stored) }},
		{"wrong password", func() { h.Verify("wrong", stored) }},
		{"unknown login", func() { h.DummyVerify("wrong") }},
		{"no local password", func() { h.Verify("wrong", "") }},
		{"legacy plaintext", func() { h.Verify("wrong", "legacy") }},
		{"over-long password", func() { h.Verify(strings.Repeat("x", MaxLength+1), stored) }},
	}
	for _, p := range paths {
		before := h.Derivations()
		p.run()
		if got := h.Derivations() - before; got != 1 {
			t.Errorf("%s: %d derivations, want exactly 1", p.name, got)
		}
	}
	if h.dummy.rounds != h.Rounds() || len(h.dummy.salt) != SaltSize {
		t.Fatalf("dummy hash has %d rounds, %d-byte salt; want the hasher's own parameters", h.dummy.rounds, len(h.dummy.salt))
	}
}

func TestHashRefusesTooLong(t *testing.T) {
	h := fastHasher(t, 1000)
	if _, err := h.Hash(strings.Repeat("x", MaxLength+1)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Hash of %d bytes: %v", MaxLength+1, err)
	}
	if _, err := h.Hash(strings.Repeat("x", MaxLength)); err != nil {
		t.Fatalf("Hash of %d bytes: %v", MaxLength, err)
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("$pbkdf2-sha512$25000$AAECAwQFBgcICQoLDA0ODw$SD45rjg2efG3ODIHQeklcrq1rgpKrbMw16UwshxvBWLgNENeDWMvNiO.Lj6BUMRx4V/sPJndUTpKWVbG79Akig")
	f.Add("$pbkdf2-sha512$1$AA$")
	f.Add("$pbkdf2-sha512$$$")
	f.Add("plaintext")
	f.Fuzz(func(t *testing.T, stored string) {
		parsed, err := parseHash(stored)
		if err != nil {
			return
		}
		if parsed.rounds < 1 || parsed.rounds > MaxRounds || len(parsed.checksum) != checksumSize || len(parsed.salt) == 0 {
			t.Fatalf("accepted out-of-bounds hash %q", stored)
		}
		if again := formatHash(parsed.rounds, parsed.salt, parsed.checksum); again != stored {
			t.Fatalf("%q re-encodes as %q: two spellings of one hash", stored, again)
		}
	})
}
