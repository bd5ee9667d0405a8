package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Errors returned by readers, to be tested with errors.Is.
var (
	// ErrWrongKey: none of the identities can decrypt the object.
	ErrWrongKey = errors.New("no identity can decrypt this backup object (wrong key, or a damaged header)")
	// ErrCorrupt: the object is damaged or truncated, or a member does not
	// match the size or hash its manifest records.
	ErrCorrupt = errors.New("backup object is damaged")
	// ErrInvalid: the object decrypts but its content is malformed or unsafe
	// (missing manifest, bad names, links, duplicates, unlisted members).
	ErrInvalid = errors.New("backup object is malformed")
)

// memberSink receives each member's content in archive order. It may read
// body partly or not at all; the reader consumes and checks the rest.
type memberSink func(mi MemberInfo, body io.Reader) error

// readObject decrypts and decompresses r, validates the manifest, hands every
// member to sink, and checks each member's size and hash and the integrity of
// the whole stream up to its authenticated end.
func readObject(ctx context.Context, r io.Reader, identities []age.Identity, sink memberSink) (Manifest, error) {
	if len(identities) == 0 {
		return Manifest{}, errors.New("read backup: no identities to decrypt with")
	}
	src := &sourceReader{r: r}
	plain, err := age.Decrypt(bufio.NewReaderSize(src, copyBufferSize), identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		switch {
		case src.err != nil:
			return Manifest{}, fmt.Errorf("read backup: %w", src.err)
		case errors.As(err, &noMatch):
			return Manifest{}, fmt.Errorf("read backup: %w", ErrWrongKey)
		default:
			return Manifest{}, fmt.Errorf("read backup: %w: age header: %v", ErrCorrupt, err)
		}
	}
	// Two decoders: zstd then reads, decrypts and decodes ahead on its own
	// goroutines while this one checks, hashes and writes the members.
	zr, err := zstd.NewReader(plain, zstd.WithDecoderMaxWindow(maxDecoderWindow), zstd.WithDecoderConcurrency(2))
	if err != nil {
		return Manifest{}, fmt.Errorf("read backup: start decompression: %w", err)
	}
	defer zr.Close()
	rd := &objectReader{ctx: ctx, src: src, stream: contextReader{ctx: ctx, r: zr}}
	m, err := rd.read(sink)
	if err != nil {
		return Manifest{}, fmt.Errorf("read backup: %w", err)
	}
	// The zstd stream has ended; make sure age reached its authenticated end
	// too, so a truncated or extended object is never accepted.
	if err := expectEOF(plain); err != nil {
		return Manifest{}, fmt.Errorf("read backup: %w", rd.classify(err))
	}
	return m, nil
}

type objectReader struct {
	ctx    context.Context
	src    *sourceReader
	stream io.Reader
	// ahead is the entry, or the error, that reading a member in pieces
	// found after its last piece, for next to return.
	ahead    *tar.Header
	aheadErr error
}

// next returns the next tar entry.
func (o *objectReader) next(tr *tar.Reader) (*tar.Header, error) {
	if o.ahead != nil || o.aheadErr != nil {
		hdr, err := o.ahead, o.aheadErr
		o.ahead, o.aheadErr = nil, nil
		return hdr, err
	}
	return tr.Next()
}

// classify turns a read error into a context error, a source error, or
// ErrCorrupt for anything that age, zstd or tar rejected.
func (o *objectReader) classify(err error) error {
	switch {
	case o.ctx.Err() != nil:
		return o.ctx.Err()
	case o.src.err != nil:
		return fmt.Errorf("read object: %w", o.src.err)
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrCorrupt):
		return err
	case errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrInsecurePath):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: truncated", ErrCorrupt)
	default:
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
}

func (o *objectReader) read(sink memberSink) (Manifest, error) {
	tr := tar.NewReader(o.stream)
	m, err := o.readManifest(tr)
	if err != nil {
		return Manifest{}, err
	}
	// Version 1 lists every member's hash in the manifest; later versions
	// in checksums.json after the members, checked before read returns.
	deferred := m.FormatVersion != formatV1
	index := m.memberIndex()
	seen := make([]bool, len(m.Members))
	sums := checksums{SHA256: make([]string, len(m.Members)), Size: make([]int64, len(m.Members))}
	for {
		hdr, err := o.next(tr)
		if errors.Is(err, io.EOF) {
			if deferred {
				return Manifest{}, fmt.Errorf("%w: %s is missing", ErrInvalid, checksumsName)
			}
			break
		}
		if err != nil {
			return Manifest{}, o.classify(err)
		}
		if deferred && hdr.Name == checksumsName {
			if err := o.readChecksums(tr, hdr, &m, seen, sums); err != nil {
				return Manifest{}, err
			}
			break
		}
		mi, err := checkEntry(hdr, &m, index, seen)
		if err != nil {
			return Manifest{}, err
		}
		sum, size, err := o.readMember(tr, mi, sink)
		if err != nil {
			return Manifest{}, err
		}
		if !deferred && sum != mi.SHA256 {
			return Manifest{}, fmt.Errorf("%w: member %q has sha256 %s, the manifest says %s", ErrCorrupt, mi.Name, sum, mi.SHA256)
		}
		sums.SHA256[index[mi.Name]] = sum
		sums.Size[index[mi.Name]] = size
	}
	for i, ok := range seen {
		if !ok {
			return Manifest{}, fmt.Errorf("%w: member %q listed in the manifest is missing", ErrInvalid, m.Members[i].Name)
		}
	}
	if err := o.readTrailer(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// readChecksums reads checksums.json, which must come after every member and
// be the last entry, compares it with the hashes and sizes computed while
// reading the members, and fills them into m.
func (o *objectReader) readChecksums(tr *tar.Reader, hdr *tar.Header, m *Manifest, seen []bool, sums checksums) error {
	if hdr.Typeflag != tar.TypeReg {
		return fmt.Errorf("%w: %s is of tar type %q, not a regular file", ErrInvalid, checksumsName, hdr.Typeflag)
	}
	for i, ok := range seen {
		if !ok {
			return fmt.Errorf("%w: member %q listed in the manifest is missing", ErrInvalid, m.Members[i].Name)
		}
	}
	if hdr.Size > MaxManifestSize {
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, checksumsName, hdr.Size, MaxManifestSize)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return o.classify(err)
	}
	want, err := decodeChecksums(data, len(m.Members), m.FormatVersion)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for i, sum := range sums.SHA256 {
		if sum != want.SHA256[i] {
			return fmt.Errorf("%w: member %q has sha256 %s, %s says %s", ErrCorrupt, m.Members[i].Name, sum, checksumsName, want.SHA256[i])
		}
		// Before version 3 every size was checked against the manifest.
		if want.Size != nil && sums.Size[i] != want.Size[i] {
			return fmt.Errorf("%w: member %q is %d bytes, %s says %d", ErrCorrupt, m.Members[i].Name, sums.Size[i], checksumsName, want.Size[i])
		}
	}
	if _, err := o.next(tr); !errors.Is(err, io.EOF) {
		if err != nil {
			return o.classify(err)
		}
		return fmt.Errorf("%w: an entry follows %s", ErrInvalid, checksumsName)
	}
	for i := range m.Members {
		m.Members[i].SHA256 = sums.SHA256[i]
		m.Members[i].Size = sums.Size[i]
	}
	return nil
}

func (o *objectReader) readManifest(tr *tar.Reader) (Manifest, error) {
	hdr, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return Manifest{}, fmt.Errorf("%w: the archive is empty, manifest missing", ErrInvalid)
	}
	if err != nil {
		return Manifest{}, o.classify(err)
	}
	if hdr.Name != manifestName || hdr.Typeflag != tar.TypeReg {
		return Manifest{}, fmt.Errorf("%w: first entry must be %s as a regular file, got %q of tar type %q", ErrInvalid, manifestName, hdr.Name, hdr.Typeflag)
	}
	if hdr.Size > MaxManifestSize {
		return Manifest{}, fmt.Errorf("%w: manifest is %d bytes, more than %d", ErrInvalid, hdr.Size, MaxManifestSize)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return Manifest{}, o.classify(err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return m, nil
}

// checkEntry accepts a tar entry only if it is a regular file listed in the
// manifest, not seen before, with the size the manifest records.
func checkEntry(hdr *tar.Header, m *Manifest, index map[string]int, seen []bool) (MemberInfo, error) {
	if err := ValidateMemberName(hdr.Name); err != nil {
		return MemberInfo{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return MemberInfo{}, fmt.Errorf("%w: entry %q is of tar type %q, only regular files are allowed", ErrInvalid, hdr.Name, hdr.Typeflag)
	}
	i, listed := index[hdr.Name]
	if !listed {
		return MemberInfo{}, fmt.Errorf("%w: entry %q is not listed in the manifest", ErrInvalid, hdr.Name)
	}
	if seen[i] {
		return MemberInfo{}, fmt.Errorf("%w: entry %q appears twice", ErrInvalid, hdr.Name)
	}
	seen[i] = true
	mi := m.Members[i]
	if mi.Size != SizeUnknown && hdr.Size != mi.Size {
		return MemberInfo{}, fmt.Errorf("%w: member %q is %d bytes, the manifest says %d", ErrCorrupt, hdr.Name, hdr.Size, mi.Size)
	}
	return mi, nil
}

// readMember hands one member to sink, reads what sink left, and returns
// the member's SHA-256 and size.
func (o *objectReader) readMember(tr *tar.Reader, mi MemberInfo, sink memberSink) (string, int64, error) {
	h := sha256.New()
	var content io.Reader = tr
	size := mi.Size
	var pieces *piecesReader
	if mi.Size == SizeUnknown {
		pieces = &piecesReader{o: o, tr: tr, name: mi.Name}
		content = pieces
	}
	body := &bodyReader{r: io.TeeReader(content, h)}
	if err := sink(mi, body); err != nil {
		if body.err != nil {
			return "", 0, o.classify(body.err)
		}
		return "", 0, fmt.Errorf("member %q: %w", mi.Name, err)
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return "", 0, o.classify(err)
	}
	if pieces != nil {
		size = pieces.n
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// piecesReader reads a member of unknown size (format version 3): the
// consecutive tar entries of its name, as one body. The entry that follows
// them is left for objectReader.next.
type piecesReader struct {
	o    *objectReader
	tr   *tar.Reader
	name string
	n    int64
	done bool
}

func (p *piecesReader) Read(b []byte) (int, error) {
	for !p.done {
		n, err := p.tr.Read(b)
		if p.n += int64(n); p.n > MaxStreamedSize {
			return 0, fmt.Errorf("%w: member %q is more than %d bytes", ErrInvalid, p.name, int64(MaxStreamedSize))
		}
		if n > 0 || err != io.EOF {
			if err == io.EOF {
				err = nil // the next call moves on to the next piece
			}
			return n, err
		}
		hdr, err := p.tr.Next()
		switch {
		case err != nil:
			// The end of the archive included: the caller reports what is
			// missing.
			p.o.aheadErr, p.done = err, true
		case hdr.Name != p.name:
			p.o.ahead, p.done = hdr, true
		case hdr.Typeflag != tar.TypeReg:
			return 0, fmt.Errorf("%w: entry %q is of tar type %q, only regular files are allowed", ErrInvalid, hdr.Name, hdr.Typeflag)
		}
	}
	return 0, io.EOF
}

// readTrailer accepts only zero padding after the tar end marker.
func (o *objectReader) readTrailer() error {
	buf := make([]byte, 4096)
	var total int
	for {
		n, err := o.stream.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return fmt.Errorf("%w: data after the end of the archive", ErrInvalid)
			}
		}
		total += n
		if total > maxTrailingZeros {
			return fmt.Errorf("%w: more than %d bytes of padding after the archive", ErrInvalid, maxTrailingZeros)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return o.classify(err)
		}
	}
}

// bodyReader remembers a read error so that a sink failing because the
// object is damaged is reported as damage, not as a sink failure.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func expectEOF(r io.Reader) error {
	var probe [1]byte
	// A well-behaved reader returns EOF at once; bound the empty reads anyway.
	for range 100 {
		n, err := r.Read(probe[:])
		if n > 0 {
			return fmt.Errorf("%w: data after the end of the compressed stream", ErrCorrupt)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// Read decrypts r and hands every member, in archive order, to sink, which
// may read its body partly or not at all; Read reads and checks the rest.
// It succeeds only for an intact, consistent object, and then returns the
// complete manifest. What sink did with a member of an object that turns
// out damaged is for the caller to undo.
func Read(ctx context.Context, r io.Reader, identities []age.Identity, sink func(mi MemberInfo, body io.Reader) error) (Manifest, error) {
	return readObject(ctx, r, identities, sink)
}

// VerifyObject decrypts r and checks the manifest, every member's size and
// hash and the integrity of the whole object, writing nothing.
func VerifyObject(ctx context.Context, r io.Reader, identities []age.Identity) (Manifest, error) {
	return readObject(ctx, r, identities, func(MemberInfo, io.Reader) error { return nil })
}
