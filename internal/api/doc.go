package api

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

//go:embed templates/doc.html
var docTemplates embed.FS

type docPages struct {
	index *template.Template
}

func parseDocPages() (*docPages, error) {
	t, err := template.ParseFS(docTemplates, "templates/doc.html")
	if err != nil {
		return nil, err
	}
	return &docPages{index: t}, nil
}

// docModel describes one model as the caller may use it.
type docModel struct {
	Name        string     `json:"model"`
	Description string     `json:"description"`
	Methods     []string   `json:"methods"`
	Fields      []docField `json:"fields"`
}

type docField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Label    string `json:"string"`
	Help     string `json:"help,omitempty"`
	Relation string `json:"relation,omitempty"`
	Required bool   `json:"required"`
	Readonly bool   `json:"readonly"`
}

// docAuth authenticates a /doc request: a bearer API key or a session cookie.
func (a *API) docAuth(r *http.Request) (*tenancy.Lease, func(), Principal, error) {
	if key, ok := bearer(r); ok {
		if err := a.allowAddress(r); err != nil {
			return nil, nil, Principal{}, err
		}
		lease, release, err := a.tenantFor(r, "")
		if err != nil {
			a.auth.Dummy(key)
			return nil, nil, Principal{}, accessDenied()
		}
		p, err := a.auth.Bearer(r.Context(), lease.DB, key, clientOf(r))
		if err != nil {
			release()
			return nil, nil, Principal{}, accessDenied()
		}
		return lease, release, p, nil
	}
	lease, release, p, err := a.resumeSession(r, "")
	if err != nil {
		return nil, nil, Principal{}, accessDenied()
	}
	return lease, release, p, nil
}

func (a *API) serveDoc(w http.ResponseWriter, r *http.Request) {
	lease, release, p, err := a.docAuth(r)
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	defer release()
	models, err := a.describe(r.Context(), lease, p, "")
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	var buf bytes.Buffer
	data := struct {
		Tenant string
		UID    int64
		Models []docModel
	}{lease.Tenant.Name, p.UID, models}
	if err := a.docs.index.Execute(&buf, data); err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

func (a *API) serveDocModel(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("model"), ".json")
	if !ok {
		a.writeJSON2Error(w, r, errorOf(kindNotFound, "ask for /doc/<model>.json"))
		return
	}
	lease, release, p, err := a.docAuth(r)
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	defer release()
	if err := checkModelName(name); err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	models, err := a.describe(r.Context(), lease, p, name)
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	if len(models) == 0 {
		a.writeJSON2Error(w, r, errorOf(kindNotFound, "the model %s does not exist or you may not read it", quoteClip(name)))
		return
	}
	writeJSON(w, http.StatusOK, models[0])
}

// describe lists the models (or the one named) the user may read, with the fields
// they may see and the methods their access rights allow.
func (a *API) describe(ctx context.Context, lease *tenancy.Lease, p Principal, only string) ([]docModel, error) {
	var out []docModel
	err := a.inTx(ctx, lease.DB, true, func(tx *sql.Tx) error {
		env, err := base.NewEnv(ctx, tx, lease.DB.Engine, a.reg, p.UID)
		if err != nil {
			return accessDenied()
		}
		for _, m := range a.reg.Models() {
			if only != "" && m.Name != only {
				continue
			}
			dm, ok, err := describeModel(ctx, env, m)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, dm)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func describeModel(ctx context.Context, env *orm.Env, m *orm.Model) (docModel, bool, error) {
	allowed := map[string]bool{}
	for _, op := range []string{"read", "write", "create", "unlink"} {
		err := probeAccess(ctx, env, m.Name, op)
		var denied *orm.AccessError
		switch {
		case err == nil:
			allowed[op] = true
		case errors.As(err, &denied):
		default:
			return docModel{}, false, err
		}
	}
	if !allowed["read"] {
		return docModel{}, false, nil
	}
	dm := docModel{Name: m.Name, Description: m.Description}
	for name, std := range standardMethods {
		op := "read"
		switch name {
		case "create", "copy":
			op = "create"
		case "write":
			op = "write"
		case "unlink":
			op = "unlink"
		}
		if allowed[op] || std.readOnly && allowed["read"] {
			dm.Methods = append(dm.Methods, name)
		}
	}
	for name := range m.Methods {
		dm.Methods = append(dm.Methods, name)
	}
	slices.Sort(dm.Methods)
	fields, err := env.FieldsGet(ctx, m.Name, nil, nil)
	if err != nil {
		return docModel{}, false, err
	}
	for _, name := range m.FieldNames() {
		f, ok := fields[name]
		if !ok {
			continue
		}
		df := docField{Name: name}
		df.Type, _ = f["type"].(string)
		df.Label, _ = f["string"].(string)
		df.Help, _ = f["help"].(string)
		df.Relation, _ = f["relation"].(string)
		df.Required, _ = f["required"].(bool)
		df.Readonly, _ = f["readonly"].(bool)
		dm.Fields = append(dm.Fields, df)
	}
	return dm, true, nil
}
