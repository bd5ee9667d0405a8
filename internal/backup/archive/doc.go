// Package archive reads and writes Instant-ERP backup objects.
//
// An object is a tar stream whose first entry is manifest.json, followed by
// the members it lists and, last, checksums.json, compressed with zstd and
// encrypted with age to one or more recipients:
//
//	age( zstd( tar( manifest.json, member1, member2, ..., checksums.json ) ) )
//
// The manifest comes first so that a reader knows, before it writes a single
// byte, exactly which names it must accept, and the size of each member
// whose size was known when the object was written. The members' SHA-256
// and sizes come last, in checksums.json, because Write hashes and counts
// each member while streaming it into the archive: a snapshot goes from the
// database through tar, zstd and age to its destination in one pass, never
// written to a scratch file or read twice. A member whose size is known
// only at its end (Source.Size SizeUnknown, such as a dump piped from
// pg_dump) is listed with that size and stored as consecutive tar entries
// of its name, a buffer each, since tar needs an entry's size before its
// content (format version 3). A producer that already knows a member's hash
// may announce it (Source.SHA256) and Write fails if the content does not
// match. Readers hash and count every member as they read it and accept the
// object only once checksums.json agrees with every one; a reader that
// extracts removes what it wrote otherwise. Readers also accept format
// version 2, without pieces or sizes in checksums.json, and version 1,
// written by earlier releases, whose manifest carries the hashes itself.
// Read manifests come back complete, hashes and sizes filled in, in every
// version.
//
// age authenticates every 64 KiB chunk and the end of the stream, so a flipped
// or missing byte anywhere in the object is detected. age does not
// authenticate the sender: anyone holding a recipient's public key can build
// a well-formed object. Extract therefore treats the decrypted content as
// untrusted and validates every tar entry against the manifest before it
// writes anything, and callers compare the object's SHA-256 with the one the
// catalogue recorded at backup time.
package archive
