package archive

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeManifest(t *testing.T) {
	valid := manifestFor(memberInfo("tenant.db", []byte("x")), memberInfo("filestore/ab/cd", nil))
	encode := func(edit func(*Manifest)) string {
		m := valid
		m.Members = append([]MemberInfo(nil), valid.Members...)
		m.RowCounts = map[string]int64{"res_partner": 1}
		edit(&m)
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{"valid", encode(func(*Manifest) {}), ""},
		{"valid db kind", encode(func(m *Manifest) { m.Kind = KindDB }), ""},
		{"not json", "{", "parse manifest"},
		{"array", "[]", "parse manifest"},
		{"unknown field", strings.Replace(encode(func(*Manifest) {}), `{`, `{"extra":1,`, 1), "unknown field"},
		{"trailing object", encode(func(*Manifest) {}) + "{}", "trailing data"},
		{"format 0", encode(func(m *Manifest) { m.FormatVersion = 0 }), "format version"},
		{"empty id", encode(func(m *Manifest) { m.ID = "" }), "id"},
		{"id with slash", encode(func(m *Manifest) { m.ID = "a/b" }), "id"},
		{"tenant upper", encode(func(m *Manifest) { m.Tenant = "ACME" }), "tenant"},
		{"kind", encode(func(m *Manifest) { m.Kind = "incremental" }), "kind"},
		{"engine", encode(func(m *Manifest) { m.Engine = "" }), "engine"},
		{"engine version control char", encode(func(m *Manifest) { m.EngineVersion = "1\n2" }), "engine version"},
		{"schema negative", encode(func(m *Manifest) { m.SchemaVersion = -1 }), "schema version"},
		{"row count negative", encode(func(m *Manifest) { m.RowCounts["res_partner"] = -5 }), "negative"},
		{"row count table", encode(func(m *Manifest) { m.RowCounts["x; drop"] = 1 }), "row count table"},
		{"member size negative", encode(func(m *Manifest) { m.Members[0].Size = -1 }), "negative size"},
		{"member sha short", encode(func(m *Manifest) { m.Members[0].SHA256 = "abc" }), "malformed sha256"},
		{"member sha upper", encode(func(m *Manifest) { m.Members[0].SHA256 = strings.ToUpper(m.Members[0].SHA256) }), "malformed sha256"},
		{"member setuid", encode(func(m *Manifest) { m.Members[0].Mode = 0o4755 }), "permission bits"},
		{"member named manifest", encode(func(m *Manifest) { m.Members[0].Name = manifestName }), "reserved"},
		{"duplicate member", encode(func(m *Manifest) { m.Members[1] = m.Members[0] }), "twice"},
		{"member named checksums", encode(func(m *Manifest) { m.Members[0].Name = checksumsName }), "reserved"},
		{"valid version 2", encode(func(m *Manifest) { m.FormatVersion = formatV2; m.Members[0].SHA256, m.Members[1].SHA256 = "", "" }), ""},
		{"version 2 with an inline hash", encode(func(m *Manifest) { m.FormatVersion = formatV2; m.Members[1].SHA256 = "" }), "belong in checksums.json"},
		{"version 2 with an unknown size", encode(func(m *Manifest) {
			m.FormatVersion = formatV2
			m.Members[0].SHA256, m.Members[1].SHA256 = "", ""
			m.Members[0].Size = SizeUnknown
		}), "negative size"},
		{"valid version 3 with an unknown size", encode(func(m *Manifest) {
			m.FormatVersion = FormatVersion
			m.Members[0].SHA256, m.Members[1].SHA256 = "", ""
			m.Members[0].Size = SizeUnknown
		}), ""},
		{"version 3 with a size below unknown", encode(func(m *Manifest) {
			m.FormatVersion = FormatVersion
			m.Members[0].SHA256, m.Members[1].SHA256 = "", ""
			m.Members[0].Size = -2
		}), "negative size"},
		{"version 3 with an inline hash", encode(func(m *Manifest) { m.FormatVersion = FormatVersion; m.Members[1].SHA256 = "" }), "belong in checksums.json"},
		{"version 1 without a hash", encode(func(m *Manifest) { m.Members[1].SHA256 = "" }), "malformed sha256"},
		{"version 1 with an unknown size", encode(func(m *Manifest) { m.Members[0].Size = SizeUnknown }), "negative size"},
		{"format from the future", encode(func(m *Manifest) { m.FormatVersion = FormatVersion + 1 }), "format version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decodeManifest([]byte(tt.json))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeManifest: %v", err)
				}
				if len(m.Members) != 2 || m.Tenant != "acme" {
					t.Fatalf("decoded %+v", m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
