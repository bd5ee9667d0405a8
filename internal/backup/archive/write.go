package archive

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Result describes an object produced by Write.
type Result struct {
	// Manifest is the manifest stored in the object, with Members filled in.
	Manifest Manifest
	// Size is the number of encrypted bytes written.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the encrypted bytes: what the
	// catalogue records and what storage sites are verified against.
	SHA256 string
}

// Write streams one backup object to w: manifest.json, then each member in
// order, then checksums.json, as tar, compressed with zstd and encrypted to
// recipients.
//
// m.Members must be empty: Write fills it in, each member's SHA-256
// computed while the member streams into the archive, so every member is
// read once and never held in memory whole (see the package documentation).
// A member that yields more or fewer bytes than its Source.Size, or whose
// content does not hash to its announced Source.SHA256, makes Write fail
// part-way: what it wrote to w by then is not a valid object.
func Write(ctx context.Context, w io.Writer, m Manifest, members []Source, recipients []age.Recipient) (Result, error) {
	if len(recipients) == 0 {
		return Result{}, errors.New("write backup: no recipients to encrypt to")
	}
	if len(m.Members) != 0 {
		return Result{}, errors.New("write backup: manifest members are computed by Write and must be left empty")
	}
	if m.FormatVersion != 0 && m.FormatVersion != FormatVersion {
		return Result{}, fmt.Errorf("write backup: format version %d is not supported (want %d)", m.FormatVersion, FormatVersion)
	}
	m.FormatVersion = FormatVersion
	m.Created = m.Created.UTC()
	if err := m.validateHeader(); err != nil {
		return Result{}, fmt.Errorf("write backup: %w", err)
	}
	if err := validateSources(members); err != nil {
		return Result{}, fmt.Errorf("write backup: %w", err)
	}

	m.Members = make([]MemberInfo, len(members))
	for i, src := range members {
		m.Members[i] = MemberInfo{Name: src.Name, Size: src.Size, Mode: src.Mode}
	}
	manifestJSON, err := json.Marshal(m)
	if err != nil {
		return Result{}, fmt.Errorf("write backup: encode manifest: %w", err)
	}
	if len(manifestJSON) > MaxManifestSize {
		return Result{}, fmt.Errorf("write backup: manifest is %d bytes, more than %d", len(manifestJSON), MaxManifestSize)
	}

	// Large writes keep the system calls on the destination few; the
	// buffer sits after the hash so that Size and SHA256 describe exactly
	// the bytes handed to w.
	bw := bufio.NewWriterSize(w, copyBufferSize)
	out := newHashingWriter(bw)
	sums, err := writeObject(ctx, out, m, manifestJSON, members, recipients)
	if err != nil {
		return Result{}, fmt.Errorf("write backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Result{}, fmt.Errorf("write backup: %w", err)
	}
	for i := range m.Members {
		m.Members[i].SHA256 = sums.SHA256[i]
		m.Members[i].Size = sums.Size[i]
	}
	return Result{Manifest: m, Size: out.n, SHA256: out.sum()}, nil
}

func validateSources(members []Source) error {
	if len(members) > MaxMembers {
		return fmt.Errorf("%d members, more than %d", len(members), MaxMembers)
	}
	seen := make(map[string]struct{}, len(members))
	for _, src := range members {
		if err := ValidateMemberName(src.Name); err != nil {
			return err
		}
		if _, dup := seen[src.Name]; dup {
			return fmt.Errorf("member %q given twice", src.Name)
		}
		seen[src.Name] = struct{}{}
		if src.Size < 0 && src.Size != SizeUnknown {
			return fmt.Errorf("member %q has negative size %d", src.Name, src.Size)
		}
		if src.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("member %q has mode %v, only permission bits are allowed", src.Name, src.Mode)
		}
		if src.Open == nil {
			return fmt.Errorf("member %q has no Open function", src.Name)
		}
		if src.SHA256 != "" && !isSHA256Hex(src.SHA256) {
			return fmt.Errorf("member %q has malformed sha256 %q", src.Name, src.SHA256)
		}
	}
	return nil
}

// copyBufferSize is the size of the buffer members are copied through and
// of the buffer in front of the destination.
const copyBufferSize = 1 << 20

// copySource copies exactly src.Size bytes of src to dst through buf and
// returns their SHA-256, failing if the source is shorter or longer than
// announced.
func copySource(ctx context.Context, dst io.Writer, src Source, buf []byte) (string, error) {
	rc, err := src.Open()
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	h := sha256.New()
	r := contextReader{ctx: ctx, r: rc}
	n, err := io.CopyBuffer(io.MultiWriter(dst, h), io.LimitReader(r, src.Size), buf)
	if err == nil && n < src.Size {
		return "", fmt.Errorf("read %d bytes, expected %d: the source changed size", n, src.Size)
	}
	if err != nil {
		return "", err
	}
	var probe [1]byte
	if extra, err := r.Read(probe[:]); extra > 0 || (err != nil && err != io.EOF) {
		if err != nil && err != io.EOF {
			return "", err
		}
		return "", fmt.Errorf("source is longer than the expected %d bytes: it changed size", src.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeObject writes the object and returns the SHA-256 and size of every
// member.
//
// It is a pipeline over both cores: this goroutine reads and hashes the
// members into tar and zstd; zstd's encoder finds matches in one goroutine
// while another entropy-codes the previous block and hands it to age,
// which encrypts it on its way to out.
func writeObject(ctx context.Context, out io.Writer, m Manifest, manifestJSON []byte, members []Source, recipients []age.Recipient) (sums checksums, err error) {
	enc, err := age.Encrypt(out, recipients...)
	if err != nil {
		return checksums{}, fmt.Errorf("start encryption: %w", err)
	}
	// The fastest level: on database pages it compresses within a few
	// percent of the default level at about ten times the speed (see
	// BenchmarkStages in the backup package).
	zw, err := zstd.NewWriter(enc, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
	if err != nil {
		return checksums{}, fmt.Errorf("start compression: %w", err)
	}
	defer func() {
		if err != nil {
			// Release the encoder's goroutines without writing more to out.
			zw.Reset(io.Discard)
			zw.Close()
		}
	}()
	tw := tar.NewWriter(zw)
	modTime := m.Created.Truncate(time.Second)

	if err := writeEntry(tw, manifestName, manifestJSON, modTime); err != nil {
		return checksums{}, fmt.Errorf("write manifest: %w", err)
	}
	buf := make([]byte, copyBufferSize)
	sums = checksums{SHA256: make([]string, len(members)), Size: make([]int64, len(members))}
	for i, src := range members {
		if src.Size == SizeUnknown {
			sums.SHA256[i], sums.Size[i], err = writePieces(ctx, tw, src, buf, modTime)
		} else {
			sums.SHA256[i], err = writeWhole(ctx, tw, src, buf, modTime)
			sums.Size[i] = src.Size
		}
		if err != nil {
			return checksums{}, fmt.Errorf("write member %q: %w", src.Name, err)
		}
		if src.SHA256 != "" && sums.SHA256[i] != src.SHA256 {
			return checksums{}, fmt.Errorf("member %q does not have the sha256 its producer announced", src.Name)
		}
	}
	checksumsJSON, err := json.Marshal(sums)
	if err != nil {
		return checksums{}, fmt.Errorf("encode checksums: %w", err)
	}
	if err := writeEntry(tw, checksumsName, checksumsJSON, modTime); err != nil {
		return checksums{}, fmt.Errorf("write checksums: %w", err)
	}
	if err := tw.Close(); err != nil {
		return checksums{}, fmt.Errorf("finish tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return checksums{}, fmt.Errorf("finish compression: %w", err)
	}
	if err := enc.Close(); err != nil {
		return checksums{}, fmt.Errorf("finish encryption: %w", err)
	}
	return sums, nil
}

// writeWhole stores a member of known size as one tar entry and returns its
// SHA-256.
func writeWhole(ctx context.Context, tw *tar.Writer, src Source, buf []byte, modTime time.Time) (string, error) {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: src.Name, Size: src.Size, Mode: int64(src.Mode), ModTime: modTime}
	if err := tw.WriteHeader(hdr); err != nil {
		return "", fmt.Errorf("write header: %w", err)
	}
	return copySource(ctx, tw, src, buf)
}

// writePieces stores a member of unknown size as consecutive tar entries of
// its name, one buffer each and the last shorter, at least one: a tar entry
// needs its size before its content. It returns the member's SHA-256 and
// size, which checksums.json records.
func writePieces(ctx context.Context, tw *tar.Writer, src Source, buf []byte, modTime time.Time) (sum string, size int64, err error) {
	rc, err := src.Open()
	if err != nil {
		return "", 0, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	h := sha256.New()
	r := contextReader{ctx: ctx, r: rc}
	for first := true; ; first = false {
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return "", 0, rerr
		}
		if n > 0 || first {
			if size += int64(n); size > MaxStreamedSize {
				return "", 0, fmt.Errorf("more than %d bytes", int64(MaxStreamedSize))
			}
			hdr := &tar.Header{Typeflag: tar.TypeReg, Name: src.Name, Size: int64(n), Mode: int64(src.Mode), ModTime: modTime}
			if err := tw.WriteHeader(hdr); err != nil {
				return "", 0, fmt.Errorf("write header: %w", err)
			}
			if _, err := tw.Write(buf[:n]); err != nil {
				return "", 0, err
			}
			h.Write(buf[:n])
		}
		if rerr != nil {
			return hex.EncodeToString(h.Sum(nil)), size, nil
		}
	}
}

func writeEntry(tw *tar.Writer, name string, data []byte, modTime time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o600, ModTime: modTime}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
