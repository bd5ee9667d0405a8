// Package archive reads and writes Instant-ERP backup objects.
//
// An object is a tar stream whose first entry is manifest.json, followed by
// the members it lists and, last, checksums.json, compressed with zstd and
// encrypted with age to one or more recipients:
//
//	age( zstd( tar( manifest.json, member1, member2, ..., checksums.json ) ) )
//
// The manifest comes first so that a reader knows, before it writes a single
// byte, exactly which names and sizes it must accept. The members' SHA-256
// come last (format version 2), in checksums.json, because Write hashes each
// member while streaming it into the archive: a snapshot goes from the
// database through tar, zstd and age to its destination in one pass, never
// written to a scratch file or read twice. A producer that already knows a
// member's hash may announce it (Source.SHA256) and Write fails if the
// content does not match. Readers hash every member as they read it and
// accept the object only once checksums.json agrees with every one; a
// reader that extracts removes what it wrote otherwise. Readers also accept
// format version 1, written by earlier releases, whose manifest carries the
// hashes itself. Read manifests come back complete, hashes filled in, in
// either version.
//
// age authenticates every 64 KiB chunk and the end of the stream, so a flipped
// or missing byte anywhere in the object is detected. age does not
// authenticate the sender: anyone holding a recipient's public key can build
// a well-formed object. Extract therefore treats the decrypted content as
// untrusted and validates every tar entry against the manifest before it
// writes anything, and callers compare the object's SHA-256 with the one the
// catalogue recorded at backup time.
package archive
