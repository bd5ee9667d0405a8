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
// manifest carries every member's SHA-256, it must be known before the first
// member is written. A producer that hashed a member while creating it (the
// backup service hashes its snapshots as it writes them) gives the hash in
// Source.SHA256, and Write reads the member once, checking the hash as it
// streams. Otherwise Write reads the member twice: a first pass hashes it,
// the second streams it into the archive while hashing it again. Either way
// a member whose content does not match the manifest makes Write fail rather
// than produce an archive that contradicts its own manifest.
//
// age authenticates every 64 KiB chunk and the end of the stream, so a flipped
// or missing byte anywhere in the object is detected. age does not
// authenticate the sender: anyone holding a recipient's public key can build
// a well-formed object. Extract therefore treats the decrypted content as
// untrusted and validates every tar entry against the manifest before it
// writes anything, and callers compare the object's SHA-256 with the one the
// catalogue recorded at backup time.
package archive
