package audit

// Rehash lets tests play an attacker who edits an entry and recomputes its hash.
func Rehash(e Entry, detail string) []byte { return entryHash(e, detail) }
