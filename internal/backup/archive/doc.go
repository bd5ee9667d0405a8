// Package archive reads and writes Instant-ERP backup objects.
//
// An object is a tar stream whose first entry is manifest.json, followed by
// the members it lists, compressed with zstd and encrypted with age to one or
// more recipients:
//
//	age( zstd( tar( manifest.json, member1, member2, ... ) ) )
//
// The manifest comes first so that a reader knows, before it writes a single
// byte, exactly which names, sizes and hashes it must accept. Because the
// manifest carries every member's SHA-256, Write reads each member twice: a
// first pass hashes it, the second streams it into the archive while hashing it
// again. A member that changed between the passes makes Write fail rather than
// produce an archive that contradicts its own manifest. Backups are taken from
// snapshots, so the sources are stable and the second read is mostly served
// from the page cache; the cost is one extra read in exchange for a format
// that can be checked member by member while streaming.
//
// age authenticates every 64 KiB chunk and the end of the stream, so a flipped
// or missing byte anywhere in the object is detected. age does not
// authenticate the sender: anyone holding a recipient's public key can build
// a well-formed object. Extract therefore treats the decrypted content as
// untrusted and validates every tar entry against the manifest before it
// writes anything, and callers compare the object's SHA-256 with the one the
// catalogue recorded at backup time.
package archive
