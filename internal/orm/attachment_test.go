package orm

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// docModel is a company-bound model with binary fields.
func docModel() *Model {
	return &Model{Name: "test.doc", Fields: []*Field{
		{Name: "name", Type: Char},
		{Name: "company_id", Type: Many2one, Comodel: "test.company"},
		{Name: "image", Type: Binary},
		{Name: "scan", Type: Binary, Groups: []string{"test.group_manager"}},
	}}
}

// pngBytes starts like a PNG file, so that its type is detected.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), []byte("image data")...)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// attachmentWorld is a database with two companies, a user in each, a reader
// who may only read documents, and one document per company.
type attachmentWorld struct {
	*testDB
	fs                *Filestore
	userA, userB, rdr Identity
	docA, docB        int64
}

func newAttachmentWorld(t *testing.T, e storetest.Engine, limits Limits) *attachmentWorld {
	d := openTestDBWith(t, e, limits, docModel())
	fs, err := NewFilestore(filepath.Join(t.TempDir(), "filestore"))
	if err != nil {
		t.Fatal(err)
	}
	w := &attachmentWorld{testDB: d, fs: fs}
	coA := d.create("test.company", map[string]any{"name": "A"})
	coB := d.create("test.company", map[string]any{"name": "B"})
	users := d.group("test.users")
	readers := d.group("test.readers")
	d.acl("test.doc", users, "rwcu")
	d.acl("test.doc", readers, "r")
	d.acl("test.company", 0, "r")
	d.acl("ir.attachment", users, "rwcu")
	d.acl("ir.attachment", readers, "rwcu")
	d.rule("test.doc", "[('company_id', 'in', company_ids)]")
	mk := func(login string, co int64, group int64) Identity {
		uid := d.create("res.users", map[string]any{"name": login, "login": login})
		return Identity{UID: uid, CompanyID: co, CompanyIDs: []int64{co}, GroupIDs: []int64{group}}
	}
	w.userA, w.userB, w.rdr = mk("a", coA, users), mk("b", coB, users), mk("r", coA, readers)
	w.docA = d.create("test.doc", map[string]any{"name": "doc A", "company_id": coA})
	w.docB = d.create("test.doc", map[string]any{"name": "doc B", "company_id": coB})
	return w
}

// as runs fn as id with the filestore, committing unless fn fails.
func (w *attachmentWorld) as(id Identity, su bool, fn func(ctx context.Context, env *Env) error) error {
	ctx := context.Background()
	return w.db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := w.reg.NewEnv(tx, w.db.Engine, id, WithFilestore(w.fs))
		if err != nil {
			return err
		}
		if su {
			env = env.Sudo()
		}
		return fn(ctx, env)
	})
}

func (w *attachmentWorld) must(id Identity, su bool, fn func(ctx context.Context, env *Env) error) {
	w.t.Helper()
	if err := w.as(id, su, fn); err != nil {
		w.t.Fatal(err)
	}
}

// attachmentRows counts the ir_attachment rows, whatever the access rules.
func (w *attachmentWorld) attachmentRows() int64 {
	var n int64
	w.must(Identity{}, true, func(ctx context.Context, env *Env) error {
		var err error
		n, err = env.SearchCount(ctx, "ir.attachment", mustDomain([]any{"|", []any{"res_field", "=", false}, []any{"res_field", "!=", false}}), SearchOptions{})
		return err
	})
	return n
}

func TestBinaryFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newAttachmentWorld(t, e, Limits{})
		var stored string
		w.must(w.userA, false, func(ctx context.Context, env *Env) error {
			if err := env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": b64(pngBytes)}); err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.doc", []int64{w.docA}, []string{"image"})
			if err != nil {
				return err
			}
			if recs[0]["image"] != b64(pngBytes) {
				t.Errorf("image read back as %v", recs[0]["image"])
			}
			atts, err := env.Sudo().SearchRead(ctx, "ir.attachment", mustDomain([]any{[]any{"res_field", "=", "image"}}),
				[]string{"res_model", "res_id", "file_size", "checksum", "store_fname", "mimetype"}, SearchOptions{})
			if err != nil {
				return err
			}
			if len(atts) != 1 {
				t.Fatalf("%d attachments for one image", len(atts))
			}
			a := atts[0]
			if a["res_model"] != "test.doc" || a["res_id"] != w.docA || a["file_size"] != int64(len(pngBytes)) || a["mimetype"] != "image/png" {
				t.Errorf("attachment %v", a)
			}
			stored = a["store_fname"].(string)
			if a["checksum"] != stored[3:] {
				t.Errorf("store_fname %s does not carry checksum %s", stored, a["checksum"])
			}
			return nil
		})
		if _, err := os.Stat(filepath.Join(w.fs.Dir(), stored)); err != nil {
			t.Fatalf("content not in the filestore: %v", err)
		}
		// The same content elsewhere is stored once; new content replaces the old.
		w.must(w.userA, false, func(ctx context.Context, env *Env) error {
			id, err := env.Create(ctx, "test.doc", []map[string]any{{"name": "copy", "company_id": w.userA.CompanyID, "image": pngBytes}})
			if err != nil {
				return err
			}
			if err := env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": b64([]byte("second"))}); err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.doc", []int64{w.docA, id[0]}, []string{"image"})
			if err != nil {
				return err
			}
			if recs[0]["image"] != b64([]byte("second")) || recs[1]["image"] != b64(pngBytes) {
				t.Errorf("images after replace: %v", recs)
			}
			return nil
		})
		if n := w.attachmentRows(); n != 2 {
			t.Errorf("%d attachment rows, want 2 (replaced, not added)", n)
		}
		files, _ := filepath.Glob(filepath.Join(w.fs.Dir(), "*", "*"))
		if len(files) != 2 {
			t.Errorf("%d files in the filestore, want 2: %v", len(files), files)
		}
		// Clearing and deleting drop the attachment rows; files wait for the garbage collector.
		w.must(w.userA, false, func(ctx context.Context, env *Env) error {
			if err := env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": false}); err != nil {
				return err
			}
			recs, err := env.Read(ctx, "test.doc", []int64{w.docA}, []string{"image"})
			if err != nil {
				return err
			}
			if recs[0]["image"] != false {
				t.Errorf("cleared image reads %v", recs[0]["image"])
			}
			ids, err := env.Search(ctx, "test.doc", mustDomain([]any{[]any{"name", "=", "copy"}}), SearchOptions{})
			if err != nil {
				return err
			}
			return env.Unlink(ctx, "test.doc", ids)
		})
		if n := w.attachmentRows(); n != 0 {
			t.Errorf("%d attachment rows left after clear and unlink", n)
		}
		// Field groups apply to binary fields as to any other.
		err := w.as(w.userA, false, func(ctx context.Context, env *Env) error {
			return env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"scan": b64(pngBytes)})
		})
		if !isAccess(err) {
			t.Errorf("write of a field restricted to a group: %v", err)
		}
		// Another company's document cannot be given an image.
		err = w.as(w.userA, false, func(ctx context.Context, env *Env) error {
			return env.Write(ctx, "test.doc", []int64{w.docB}, map[string]any{"image": b64(pngBytes)})
		})
		if !isAccess(err) {
			t.Errorf("write on another company's document: %v", err)
		}
	})
}

func TestBinaryFieldsRefuseBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newAttachmentWorld(t, e, Limits{MaxBinaryBytes: 1024})
		for _, c := range []struct {
			name  string
			value any
		}{
			{"too large", b64(make([]byte, 1025))},
			{"too large as bytes", make([]byte, 1025)},
			{"huge text", strings.Repeat("A", 1<<20)},
			{"not base64", "not base64!"},
			{"a number", 42},
			{"a list", []any{"a"}},
		} {
			err := w.as(w.userA, false, func(ctx context.Context, env *Env) error {
				return env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": c.value})
			})
			if !isValidation(err) {
				t.Errorf("%s: got %v, want a validation error", c.name, err)
			}
		}
		if n := w.attachmentRows(); n != 0 {
			t.Errorf("%d attachments created by refused writes", n)
		}
		// Without a filestore, content is refused with a clear error and nothing changes.
		err := w.run(w.userA, false, func(ctx context.Context, env *Env) error {
			return env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": b64(pngBytes)})
		})
		if err == nil || !strings.Contains(err.Error(), "filestore") {
			t.Errorf("write without a filestore: %v", err)
		}
		w.must(w.userA, false, func(ctx context.Context, env *Env) error {
			_, err := env.Search(ctx, "test.doc", mustDomain([]any{[]any{"image", "!=", false}}), SearchOptions{})
			if !isValidation(err) {
				t.Errorf("search on binary content: %v", err)
			}
			_, err = env.Search(ctx, "test.doc", mustDomain([]any{}), SearchOptions{Order: "image"})
			if err == nil {
				t.Error("ordering by binary content accepted")
			}
			return nil
		})
	})
}

// TestAttachmentAccess checks Odoo's rule: a file follows its record.
func TestAttachmentAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newAttachmentWorld(t, e, Limits{})
		var attA, loose, public, fieldAtt int64
		w.must(w.userA, false, func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "ir.attachment", []map[string]any{
				{"name": "contract.pdf", "res_model": "test.doc", "res_id": w.docA, "datas": b64([]byte("%PDF-1.4 contract"))},
				{"name": "draft.txt", "datas": b64([]byte("loose"))},
				{"name": "brochure.txt", "res_model": "test.doc", "res_id": w.docA, "public": true, "datas": b64([]byte("public"))},
			})
			if err != nil {
				return err
			}
			attA, loose, public = ids[0], ids[1], ids[2]
			if err := env.Write(ctx, "test.doc", []int64{w.docA}, map[string]any{"image": b64(pngBytes)}); err != nil {
				return err
			}
			recs, err := env.Read(ctx, "ir.attachment", []int64{attA}, []string{"datas", "mimetype", "file_size"})
			if err != nil {
				return err
			}
			if recs[0]["datas"] != b64([]byte("%PDF-1.4 contract")) || recs[0]["mimetype"] != "application/pdf" {
				t.Errorf("own attachment: %v", recs[0])
			}
			found, err := env.Search(ctx, "ir.attachment", mustDomain([]any{}), SearchOptions{Order: "id"})
			if err != nil {
				return err
			}
			if len(found) != 3 {
				t.Errorf("user A lists %v, want its 3 attachments and not the image's", found)
			}
			return nil
		})
		w.must(Identity{}, true, func(ctx context.Context, env *Env) error {
			ids, err := env.Search(ctx, "ir.attachment", mustDomain([]any{[]any{"res_field", "=", "image"}}), SearchOptions{})
			if len(ids) == 1 {
				fieldAtt = ids[0]
			}
			return err
		})
		type attempt struct {
			name string
			who  Identity
			op   func(ctx context.Context, env *Env) error
			ok   bool
		}
		read := func(id int64) func(ctx context.Context, env *Env) error {
			return func(ctx context.Context, env *Env) error {
				_, err := env.Read(ctx, "ir.attachment", []int64{id}, []string{"name", "datas"})
				return err
			}
		}
		createOn := func(doc int64, extra map[string]any) func(ctx context.Context, env *Env) error {
			return func(ctx context.Context, env *Env) error {
				vals := map[string]any{"name": "x.txt", "res_model": "test.doc", "res_id": doc, "datas": b64([]byte("x"))}
				for k, v := range extra {
					vals[k] = v
				}
				_, err := env.Create(ctx, "ir.attachment", []map[string]any{vals})
				return err
			}
		}
		write := func(id int64, vals map[string]any) func(ctx context.Context, env *Env) error {
			return func(ctx context.Context, env *Env) error { return env.Write(ctx, "ir.attachment", []int64{id}, vals) }
		}
		unlink := func(id int64) func(ctx context.Context, env *Env) error {
			return func(ctx context.Context, env *Env) error { return env.Unlink(ctx, "ir.attachment", []int64{id}) }
		}
		for _, a := range []attempt{
			{"B reads A's file by id", w.userB, read(attA), false},
			{"B reads A's file among its own", w.userB, read(loose), false},
			{"B reads A's unattached file", w.userB, read(loose), false},
			{"B reads A's public file", w.userB, read(public), true},
			{"A reads the file behind a binary field directly", w.userA, read(fieldAtt), false},
			{"reader reads A's file", w.rdr, read(attA), true},
			{"B attaches to A's document", w.userB, createOn(w.docA, nil), false},
			{"reader attaches to a document it may only read", w.rdr, createOn(w.docA, nil), false},
			{"A poses as a binary field value", w.userA, createOn(w.docA, map[string]any{"res_field": "image"}), false},
			{"A attaches to a missing document", w.userA, createOn(999999, nil), false},
			{"A attaches to a model that does not exist", w.userA, func(ctx context.Context, env *Env) error {
				_, err := env.Create(ctx, "ir.attachment", []map[string]any{{"name": "x", "res_model": "no.such", "res_id": 1}})
				return err
			}, false},
			{"B renames A's file", w.userB, write(attA, map[string]any{"name": "mine"}), false},
			{"reader renames A's file", w.rdr, write(attA, map[string]any{"name": "mine"}), false},
			{"A moves its file to B's document", w.userA, write(attA, map[string]any{"res_id": w.docB}), false},
			{"A points its file at another stored file", w.userA, write(attA, map[string]any{"store_fname": "ab/" + strings.Repeat("ab", 32)}), false},
			{"A sets a file's size", w.userA, write(attA, map[string]any{"file_size": 1}), false},
			{"B deletes A's file", w.userB, unlink(attA), false},
			{"B deletes A's public file", w.userB, unlink(public), false},
			{"A renames its file", w.userA, write(attA, map[string]any{"name": "renamed.pdf"}), true},
			{"A attaches to its document", w.userA, createOn(w.docA, nil), true},
		} {
			// Every attempt runs in a transaction rolled back afterwards.
			errDone := errors.New("done")
			var opErr error
			err := w.as(a.who, false, func(ctx context.Context, env *Env) error {
				opErr = a.op(ctx, env)
				return errDone
			})
			if !errors.Is(err, errDone) {
				t.Fatalf("%s: %v", a.name, err)
			}
			switch {
			case a.ok && opErr != nil:
				t.Errorf("%s: refused: %v", a.name, opErr)
			case !a.ok && opErr == nil:
				t.Errorf("%s: allowed", a.name)
			case !a.ok && !isAccess(opErr) && !isMissing(opErr) && !isValidation(opErr):
				t.Errorf("%s: %v, want an access, missing or validation error", a.name, opErr)
			}
		}
		w.must(w.userB, false, func(ctx context.Context, env *Env) error {
			ids, err := env.Search(ctx, "ir.attachment", mustDomain([]any{}), SearchOptions{})
			if err != nil {
				return err
			}
			if len(ids) != 1 || ids[0] != public {
				t.Errorf("B lists %v, want only the public file %d", ids, public)
			}
			n, err := env.SearchCount(ctx, "ir.attachment", mustDomain([]any{[]any{"res_field", "=", "image"}}), SearchOptions{})
			if n != 0 {
				t.Errorf("B counts %d files behind binary fields", n)
			}
			return err
		})
	})
}

func TestAttachmentMimetypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		w := newAttachmentWorld(t, e, Limits{})
		for _, c := range []struct {
			name, given string
			content     string
			su          bool
			want        string
		}{
			{"page.html", "", "<html><script>alert(1)</script></html>", false, "text/plain"},
			{"logo.svg", "image/svg+xml", "<svg onload=alert(1)>", false, "text/plain"},
			{"x.js", "application/javascript", "alert(1)", false, "text/plain"},
			{"x.xhtml", "application/xhtml+xml", "<x/>", false, "text/plain"},
			{"report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK", false,
				"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
			{"page.html", "", "<html></html>", true, "text/html"},
			{"data.csv", "", "a,b\n1,2\n", false, "text/plain"},
			{"blob.bin", "", "\x00\x01\x02", false, "application/octet-stream"},
		} {
			w.must(w.userA, c.su, func(ctx context.Context, env *Env) error {
				vals := map[string]any{"name": c.name, "res_model": "test.doc", "res_id": w.docA, "datas": b64([]byte(c.content))}
				if c.given != "" {
					vals["mimetype"] = c.given
				}
				ids, err := env.Create(ctx, "ir.attachment", []map[string]any{vals})
				if err != nil {
					return err
				}
				recs, err := env.Sudo().Read(ctx, "ir.attachment", ids, []string{"mimetype"})
				if err != nil {
					return err
				}
				if recs[0]["mimetype"] != c.want {
					t.Errorf("%s (sudo %v): mimetype %v, want %s", c.name, c.su, recs[0]["mimetype"], c.want)
				}
				return nil
			})
		}
		err := w.as(w.userA, false, func(ctx context.Context, env *Env) error {
			_, err := env.Create(ctx, "ir.attachment", []map[string]any{{"name": "x", "mimetype": "not a type", "datas": b64([]byte("x"))}})
			return err
		})
		if !isValidation(err) {
			t.Errorf("bad mime type: %v", err)
		}
	})
}

func FuzzDecodeBinary(f *testing.F) {
	for _, seed := range []string{"", "aGVsbG8=", "aGVs\nbG8=", "!!", "aGVsbG8", strings.Repeat("QUJD", 100)} {
		f.Add(seed)
	}
	reg := NewRegistry(Limits{MaxBinaryBytes: 256})
	if err := reg.Define(docModel()); err != nil {
		f.Fatal(err)
	}
	if err := reg.Define(&Model{Name: "test.company", Fields: []*Field{{Name: "name", Type: Char}}}); err != nil {
		f.Fatal(err)
	}
	if err := reg.Freeze(); err != nil {
		f.Fatal(err)
	}
	env, err := reg.NewEnv(nil, "sqlite", Identity{})
	if err != nil {
		f.Fatal(err)
	}
	m, _ := reg.Model("test.doc")
	field, _ := m.Field("image")
	f.Fuzz(func(t *testing.T, s string) {
		data, err := env.decodeBinary(field, s)
		if err != nil {
			if !isValidation(err) {
				t.Fatalf("decode %q: %v is not a validation error", s, err)
			}
			return
		}
		if len(data) > 256 {
			t.Fatalf("decoded %d bytes past the limit", len(data))
		}
		if s != "" && b64(data) != stripSpace(s) {
			t.Fatalf("decode %q gave %q", s, data)
		}
	})
}
