package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"testing"
)

func smallObject(t *testing.T) []byte {
	object, _ := writeTestObject(t, []Source{
		memorySource("tenant.db", []byte("database bytes")),
		memorySource("filestore/ab/ab12", []byte("attachment")),
	})
	return object
}

// largeObject spans several age chunks (64 KiB each) of incompressible data.
func largeObject(t *testing.T) []byte {
	data := make([]byte, 200_000)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	object, _ := writeTestObject(t, []Source{memorySource("tenant.db", data)})
	return object
}

func refuse(t *testing.T, object []byte, what string) {
	t.Helper()
	parent, dest := sandbox(t)
	_, err := Extract(context.Background(), bytes.NewReader(object), platformIdentities(t), dest, nil)
	if err == nil {
		t.Fatalf("%s: Extract accepted a damaged object", what)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("%s: err = %v, want ErrCorrupt, ErrWrongKey or ErrInvalid", what, err)
	}
	assertUntouched(t, parent)
	if _, err := VerifyObject(context.Background(), bytes.NewReader(object), platformIdentities(t)); err == nil {
		t.Fatalf("%s: VerifyObject accepted a damaged object", what)
	}
}

func TestFlippedByteAnywhereIsRefused(t *testing.T) {
	small := smallObject(t)
	for i := range small {
		damaged := bytes.Clone(small)
		damaged[i] ^= 0x01
		refuse(t, damaged, "small object, flip at "+strconv.Itoa(i))
	}
	large := largeObject(t)
	for i := 0; i < len(large); i += 4099 {
		damaged := bytes.Clone(large)
		damaged[i] ^= 0x80
		refuse(t, damaged, "large object, flip at "+strconv.Itoa(i))
	}
	damaged := bytes.Clone(large)
	damaged[len(damaged)-1] ^= 0x01
	refuse(t, damaged, "large object, flip of the last byte")
}

func TestTruncatedObjectIsRefused(t *testing.T) {
	small := smallObject(t)
	for n := range len(small) {
		refuse(t, small[:n], "small object cut to "+strconv.Itoa(n))
	}
	large := largeObject(t)
	for _, n := range []int{len(large) - 1, len(large) - 17, 65536, 65536 + 200, len(large) / 2} {
		refuse(t, large[:n], "large object cut to "+strconv.Itoa(n))
	}
}

func TestAppendedBytesAreRefused(t *testing.T) {
	small := smallObject(t)
	refuse(t, append(bytes.Clone(small), 0), "one zero byte appended")
	refuse(t, append(bytes.Clone(small), small...), "object appended to itself")
}
