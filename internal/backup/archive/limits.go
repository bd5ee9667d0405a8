package archive

// Bounds on what a reader accepts. They are far above what a real tenant
// produces and low enough that a crafted object cannot exhaust memory.
const (
	// FormatVersion is the version of the object layout written by Write:
	// 3, member hashes and sizes in a trailing checksums.json, and members
	// of unknown size stored in pieces (see the package documentation).
	// Readers also accept version 2, which has no pieces and no sizes in
	// checksums.json, and version 1, hashes in the manifest.
	FormatVersion = 3
	formatV2      = 2
	formatV1      = 1

	// MaxStreamedSize bounds a member of unknown size (SizeUnknown).
	MaxStreamedSize = 1 << 40

	// MaxManifestSize bounds manifest.json in bytes.
	MaxManifestSize = 64 << 20
	// MaxMembers bounds the number of members in one object.
	MaxMembers = 250_000
	// MaxNameLength bounds a member name in bytes.
	MaxNameLength = 512
	// maxRowCountTables bounds the number of entries in Manifest.RowCounts.
	maxRowCountTables = 10_000
	// maxTrailingZeros bounds the zero padding accepted after the tar end
	// marker (a full 10 KiB tar record, as written by common tar tools).
	maxTrailingZeros = 10 << 10
	// maxDecoderWindow bounds the zstd window a reader allocates.
	maxDecoderWindow = 64 << 20

	manifestName  = "manifest.json"
	checksumsName = "checksums.json"
)
