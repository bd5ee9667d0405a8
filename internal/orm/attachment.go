package orm

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
)

// attachmentModel holds the content of binary fields and files attached to records.
const attachmentModel = "ir.attachment"

// attachmentModelDef declares ir.attachment with Odoo's field names. The content
// columns (store_fname, file_size, checksum) are set by the ORM from datas.
func attachmentModelDef() *Model {
	return &Model{
		Name: attachmentModel, Description: "Attachment", Order: "id desc",
		Fields: []*Field{
			{Name: "name", Type: Char, Required: true},
			{Name: "description", Type: Text},
			{Name: "res_model", Type: Char, Index: true, String: "Resource Model", Help: "the model of the record the file is attached to"},
			{Name: "res_field", Type: Char, String: "Resource Field", Help: "set when the file is the value of a binary field"},
			{Name: "res_id", Type: Integer, Index: true, String: "Resource ID"},
			{Name: "type", Type: Selection, Default: "binary", Selection: []SelectionOption{{Value: "url", Label: "URL"}, {Value: "binary", Label: "File"}}},
			{Name: "url", Type: Char, Size: 1024},
			{Name: "public", Type: Boolean, String: "Is public document"},
			{Name: "datas", Type: Binary, String: "File Content (base64)"},
			{Name: "store_fname", Type: Char, String: "Stored Filename", Readonly: true, NoCopy: true},
			{Name: "file_size", Type: Integer, Readonly: true, NoCopy: true},
			{Name: "checksum", Type: Char, Size: checksumLen, Index: true, Readonly: true, NoCopy: true},
			{Name: "mimetype", Type: Char, String: "Mime Type", Size: 128},
		},
		Checks: []Check{{Name: "resource_valid", Fields: []string{"res_model", "res_field"}, Func: checkAttachmentResource}},
	}
}

// contentColumns are the fields of ir.attachment only the ORM writes.
var contentColumns = []string{"store_fname", "file_size", "checksum"}

// decodeBinary reads a binary value: base64 text (as RPC clients send it) or
// bytes from Go. nil means no content.
func (e *Env) decodeBinary(f *Field, v any) ([]byte, error) {
	if isFalsy(v) {
		return nil, nil
	}
	max := e.reg.limits.MaxBinaryBytes
	switch x := v.(type) {
	case []byte:
		if int64(len(x)) > max {
			return nil, validationf(f.model.Name, f.Name, "the file is larger than the limit of %d bytes", max)
		}
		return x, nil
	case string:
		// Refuse before decoding: the text may carry line breaks, little more.
		if int64(len(x)) > max/3*4*2+16 {
			return nil, validationf(f.model.Name, f.Name, "the file is larger than the limit of %d bytes", max)
		}
		data, err := base64.StdEncoding.Strict().DecodeString(stripSpace(x))
		if err != nil {
			return nil, validationf(f.model.Name, f.Name, "expected base64-encoded content: %v", err)
		}
		if int64(len(data)) > max {
			return nil, validationf(f.model.Name, f.Name, "the file is larger than the limit of %d bytes", max)
		}
		return data, nil
	}
	return nil, validationf(f.model.Name, f.Name, "expected base64-encoded content, got %s", describe(v))
}

// stripSpace drops the line breaks some encoders put into base64.
func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

func (e *Env) needFilestore(m *Model, f *Field) error {
	if e.filestore == nil {
		return fmt.Errorf("%s.%s: binary content needs the tenant's filestore, and none was given to this environment", m.Name, f.Name)
	}
	return nil
}

// attachmentVals takes the content out of the values of an ir.attachment:
// datas is stored in the filestore and becomes store_fname, file_size and
// checksum; the mime type is detected when not given, and one a browser would
// run (HTML, SVG, XML, JavaScript) is stored as text/plain unless the Env is
// Sudo, as Odoo does. It returns the remaining values and the content columns.
func (e *Env) attachmentVals(m *Model, vals map[string]any) (map[string]any, []*Field, []any, error) {
	for _, name := range contentColumns {
		if _, ok := vals[name]; ok && !e.su {
			return nil, nil, nil, validationf(m.Name, name, "the field is set from the content (datas) and cannot be written")
		}
	}
	raw, hasData := vals["datas"]
	mt, hasType := vals["mimetype"]
	if !hasData && !hasType {
		return vals, nil, nil, nil
	}
	rest := make(map[string]any, len(vals))
	for k, v := range vals {
		if k != "datas" && k != "mimetype" {
			rest[k] = v
		}
	}
	var cols []*Field
	var params []any
	given := ""
	if hasType && !isFalsy(mt) {
		s, ok := mt.(string)
		if !ok || len(s) > 128 || !strings.Contains(s, "/") {
			return nil, nil, nil, validationf(m.Name, "mimetype", "expected a mime type such as image/png")
		}
		given = strings.ToLower(strings.TrimSpace(s))
		if _, _, err := mime.ParseMediaType(given); err != nil {
			return nil, nil, nil, validationf(m.Name, "mimetype", "%q is not a mime type", clip(s))
		}
	}
	if hasData {
		f := m.fields["datas"]
		data, err := e.decodeBinary(f, raw)
		if err != nil {
			return nil, nil, nil, err
		}
		if data == nil {
			cols = append(cols, m.fields["store_fname"], m.fields["file_size"], m.fields["checksum"])
			params = append(params, nil, int64(0), nil)
		} else {
			if err := e.needFilestore(m, f); err != nil {
				return nil, nil, nil, err
			}
			stored, err := e.filestore.Put(data)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("store %s content: %w", m.Name, err)
			}
			cols = append(cols, m.fields["store_fname"], m.fields["file_size"], m.fields["checksum"])
			params = append(params, stored.Name, stored.Size, stored.Checksum)
			if given == "" {
				name, _ := vals["name"].(string)
				given = detectMimetype(name, data)
			}
		}
	}
	if given != "" {
		if !e.su {
			given = harmlessMimetype(given)
		}
		cols = append(cols, m.fields["mimetype"])
		params = append(params, given)
	}
	return rest, cols, params, nil
}

// detectMimetype sniffs the content, then falls back on the file name.
func detectMimetype(name string, data []byte) string {
	sniffed := http.DetectContentType(data)
	if sniffed != "application/octet-stream" {
		if mt, _, err := mime.ParseMediaType(sniffed); err == nil {
			return mt
		}
	}
	if ext := path.Ext(name); ext != "" {
		if byExt := mime.TypeByExtension(ext); byExt != "" {
			if mt, _, err := mime.ParseMediaType(byExt); err == nil {
				return mt
			}
		}
	}
	return "application/octet-stream"
}

// harmlessMimetype keeps a browser from running an uploaded file as a page or
// script when it is served back.
func harmlessMimetype(mt string) string {
	office := strings.HasPrefix(mt, "application/vnd.openxmlformats")
	if strings.Contains(mt, "ht") || strings.Contains(mt, "xml") && !office || strings.Contains(mt, "javascript") || strings.Contains(mt, "ecmascript") {
		return "text/plain"
	}
	return mt
}

// binaryItem is the new content of one binary field of one record; nil data
// clears it.
type binaryItem struct {
	id    int64
	field *Field
	data  []byte
}

// storeBinaries keeps binary field values as attachments (res_model, res_field,
// res_id), replacing any previous one. The attachments are the ORM's own: the
// record's access rights already allowed the write.
func (e *Env) storeBinaries(ctx context.Context, m *Model, items []binaryItem, replace bool, depth int) error {
	if len(items) == 0 {
		return nil
	}
	att := e.reg.models[attachmentModel]
	su := e.Sudo()
	if replace {
		for _, it := range items {
			old, err := e.queryIDs(ctx, `SELECT "id" FROM "ir_attachment" WHERE "res_model" = ? AND "res_field" = ? AND "res_id" = ?`, m.Name, it.field.Name, it.id)
			if err != nil {
				return err
			}
			if err := su.unlink(ctx, att, old); err != nil {
				return err
			}
		}
	}
	var vals []map[string]any
	for _, it := range items {
		if it.data == nil {
			continue
		}
		if err := e.needFilestore(m, it.field); err != nil {
			return err
		}
		vals = append(vals, map[string]any{"name": it.field.Name, "res_model": m.Name, "res_field": it.field.Name, "res_id": it.id, "datas": it.data})
	}
	for start := 0; start < len(vals); start += e.reg.limits.MaxCreateBatch {
		end := min(start+e.reg.limits.MaxCreateBatch, len(vals))
		if _, err := su.create(ctx, att, vals[start:end], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// readBinaries returns the base64 content of a binary field per record (false
// when empty). For ir.attachment's datas the content is the record's own.
func (e *Env) readBinaries(ctx context.Context, m *Model, f *Field, ids []int64) (map[int64]any, error) {
	var q string
	args := []any{}
	if m.Name == attachmentModel {
		q = `SELECT "id", "store_fname", "checksum" FROM "ir_attachment" WHERE "store_fname" IS NOT NULL AND "id" IN (` + placeholders(len(ids)) + `)`
	} else {
		q = `SELECT "res_id", "store_fname", "checksum" FROM "ir_attachment" WHERE "res_model" = ? AND "res_field" = ? AND "store_fname" IS NOT NULL AND "res_id" IN (` + placeholders(len(ids)) + `) ORDER BY "id"`
		args = append(args, m.Name, f.Name)
	}
	args = append(args, int64Args(ids)...)
	rows, err := e.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
	}
	type location struct{ name, checksum string }
	found := map[int64]location{}
	for rows.Next() {
		var id int64
		var name, checksum *string
		if err := rows.Scan(&id, &name, &checksum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
		}
		if name != nil && checksum != nil {
			found[id] = location{*name, *checksum}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", m.Name, f.Name, err)
	}
	out := make(map[int64]any, len(ids))
	for _, id := range ids {
		loc, ok := found[id]
		if !ok {
			out[id] = false
			continue
		}
		if err := e.needFilestore(m, f); err != nil {
			return nil, err
		}
		data, err := e.filestore.Read(loc.name, loc.checksum, e.reg.limits.MaxBinaryBytes)
		if err != nil {
			return nil, fmt.Errorf("read %s.%s of record %d: %w", m.Name, f.Name, id, err)
		}
		out[id] = base64.StdEncoding.EncodeToString(data)
	}
	return out, nil
}

// dropAttachments deletes the attachments of records about to be deleted, as
// Odoo does; their files stay until the filestore is garbage collected.
func (e *Env) dropAttachments(ctx context.Context, m *Model, ids []int64) error {
	if m.Name == attachmentModel {
		return nil
	}
	att := e.reg.models[attachmentModel]
	for start := 0; start < len(ids); start += linkCheckChunk {
		end := min(start+linkCheckChunk, len(ids))
		found, err := e.queryIDs(ctx, `SELECT "id" FROM "ir_attachment" WHERE "res_model" = ? AND "res_id" IN (`+placeholders(end-start)+`)`,
			append([]any{m.Name}, int64Args(ids[start:end])...)...)
		if err != nil {
			return err
		}
		if err := e.Sudo().unlink(ctx, att, found); err != nil {
			return err
		}
	}
	return nil
}

// checkAttachmentResource refuses attachments pointing to a model that does not
// exist, or to a field that is not a binary field of it.
func checkAttachmentResource(ctx context.Context, env *Env, ids []int64) error {
	recs, err := env.Sudo().Read(ctx, attachmentModel, ids, []string{"res_model", "res_field"})
	if err != nil {
		return err
	}
	for _, r := range recs {
		model, _ := r["res_model"].(string)
		field, _ := r["res_field"].(string)
		if model == "" {
			if field != "" {
				return validationf(attachmentModel, "res_field", "a field needs a model")
			}
			continue
		}
		m, ok := env.reg.models[model]
		if !ok || model == attachmentModel {
			return validationf(attachmentModel, "res_model", "%q is not a model files can be attached to", clip(model))
		}
		if field != "" {
			if f, ok := m.fields[field]; !ok || f.Type != Binary {
				return validationf(attachmentModel, "res_field", "%q is not a binary field of %s", clip(field), model)
			}
		}
	}
	return nil
}
