package api

// frameworkNames are methods and attributes of the ORM and of Odoo's framework that
// clients have tried to reach over RPC. None is callable; they are named here so that
// a probe gets an access error rather than a hint about what exists.
var frameworkNames = map[string]bool{
	"init": true, "sudo": true, "with_user": true, "with_context": true, "with_company": true,
	"with_env": true, "with_prefetch": true, "browse": true, "env": true, "pool": true,
	"ensure_one": true, "mapped": true, "filtered": true, "filtered_domain": true,
	"sorted": true, "grouped": true, "flush": true, "flush_model": true,
	"flush_recordset": true, "invalidate_cache": true, "invalidate_model": true,
	"invalidate_recordset": true, "modified": true, "recompute": true, "clear_caches": true,
	"check_access": true, "check_access_rule": true, "check_field_access_rights": true,
	"has_access": true, "registry": true, "mro": true, "load": true, "export_data": true,
	"tx": true, "query": true, "exec": true, "execute": true, "cr": true,
}

// checkMethodName refuses, before any lookup, every name that cannot be an exported
// method: private names (leading '_', which covers dunders), framework internals,
// and any name that is not lower-case snake case — Go identifiers of helpers and
// ORM internals (Sudo, readRows) are spelled otherwise, so they are refused too.
func checkMethodName(model, name string) error {
	refuse := func() error {
		return errorOf(kindAccessError, "private methods (such as %s) cannot be called remotely", clip(name))
	}
	if name == "" || len(name) > 128 || name[0] == '_' || frameworkNames[name] {
		return refuse()
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return refuse()
		}
	}
	if name[0] >= '0' && name[0] <= '9' {
		return refuse()
	}
	return nil
}

// checkModelName refuses names that cannot be models before the registry is asked.
func checkModelName(name string) error {
	if name == "" || len(name) > 128 {
		return errorOf(kindNotFound, "the model %q does not exist", clip(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '.' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return errorOf(kindNotFound, "the model %q does not exist", clip(name))
		}
	}
	return nil
}

func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
