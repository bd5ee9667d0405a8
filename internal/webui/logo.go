package webui

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

// logoField is the form field of the logo upload.
const logoField = "logo"

// logoView is the logo part of a company's form.
type logoView struct {
	URL       string // the image, empty when the company has none
	UploadURL string
	Error     string
}

// logoRoute serves /odoo/logo (the current company's logo, for the top bar) and
// /odoo/logo/<id> (a company the user may read).
func (u *UI) logoRoute(get bool, seg []string) handlerFunc {
	if !get || len(seg) > 1 {
		return nil
	}
	var id int64
	if len(seg) == 1 {
		var ok bool
		if id, ok = recordID(seg[0]); !ok || id == 0 {
			return nil
		}
	}
	return func(rq *request) error { return u.companyLogo(rq, id) }
}

// companyLogo answers a company's logo, read as the user (so record rules
// decide which companies), checked again as an image before it is served, and
// with headers that keep any client from taking it for anything but an image.
func (u *UI) companyLogo(rq *request, id int64) error {
	if rq.env.Filestore() == nil {
		return errNotFound
	}
	if id == 0 {
		id = rq.env.Identity().CompanyID
	}
	ids, err := rq.env.Search(rq.ctx, "res.company", leaf("id", "=", id), orm.SearchOptions{Limit: 1, IncludeArchived: true})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return errNotFound
	}
	recs, err := rq.env.Read(rq.ctx, "res.company", ids, []string{"logo"})
	if err != nil {
		return err
	}
	s, _ := recs[0]["logo"].(string)
	if s == "" {
		return errNotFound
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("logo of company %d: %w", id, err)
	}
	ct, err := base.CheckImage(data)
	if err != nil {
		// Stored before the check existed, or behind its back: not served.
		return errNotFound
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	ext := map[string]string{base.ImagePNG: "png", base.ImageJPEG: "jpg", base.ImageWebP: "webp"}[ct]
	hdr := []string{
		"X-Content-Type-Options", "nosniff",
		"Content-Disposition", `inline; filename="logo.` + ext + `"`,
		// Revalidated on each use (cheap with the ETag); private: it is behind a sign-in.
		"Cache-Control", "private, no-cache",
		"ETag", etag,
		"Content-Security-Policy", "default-src 'none'; sandbox",
		"Cross-Origin-Resource-Policy", "same-origin",
	}
	if match := rq.r.Header.Get("If-None-Match"); match == etag {
		rq.send(ct, nil, hdr...)
		rq.status = http.StatusNotModified
		return nil
	}
	rq.send(ct, data, hdr...)
	return nil
}

// uploadLogo stores or removes the logo of a company from its form (multipart,
// one file). The file is checked (base.CheckImage) here for a clear message next
// to the field, and again by the model on write.
func (u *UI) uploadLogo(rq *request, v *View, id int64) error {
	if v.Model != "res.company" || id == 0 || v.ReadOnly || rq.env.Filestore() == nil {
		return errNotFound
	}
	if err := u.findRecord(rq, v, id); err != nil {
		return err
	}
	var value any = false
	if rq.r.PostFormValue("remove") == "" {
		data, msg, err := uploadedLogo(rq.r)
		if err != nil {
			return err
		}
		if msg == "" {
			if _, cerr := base.CheckImage(data); cerr != nil {
				msg = cerr.Error()
			}
		}
		if msg != "" {
			return u.logoRefused(rq, v, id, msg)
		}
		value = base64.StdEncoding.EncodeToString(data)
	}
	err := rq.savepoint(func() error {
		return rq.env.Write(rq.ctx, v.Model, []int64{id}, map[string]any{"logo": value})
	})
	if err != nil {
		_, msg, ok := userFacing(err, v)
		if !ok {
			return err
		}
		return u.logoRefused(rq, v, id, msg)
	}
	rq.setFlash("saved")
	rq.redirect("/odoo/" + v.Slug + "/" + strconv.FormatInt(id, 10))
	return nil
}

// uploadedLogo reads the one uploaded file, up to base.MaxImageBytes; msg says
// what is wrong with the upload for the user.
func uploadedLogo(r *http.Request) (data []byte, msg string, err error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[logoField]) != 1 {
		return nil, "choose one image file", nil
	}
	f, err := r.MultipartForm.File[logoField][0].Open()
	if err != nil {
		return nil, "", fmt.Errorf("open the uploaded logo: %w", err)
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, base.MaxImageBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read the uploaded logo: %w", err)
	}
	if len(data) > base.MaxImageBytes {
		return nil, fmt.Sprintf("the image is larger than %d KiB", base.MaxImageBytes>>10), nil
	}
	return data, "", nil
}

// logoRefused shows the company's form again with the refusal next to the logo.
func (u *UI) logoRefused(rq *request, v *View, id int64, msg string) error {
	rq.rollback = true
	m := v.model(u.cfg.Registry)
	recs, err := rq.env.Read(rq.ctx, v.Model, []int64{id}, formFields(v, m))
	if err != nil {
		return err
	}
	data, err := u.buildForm(rq, v, id, record(recs[0]), nil, []string{"The logo was not changed."})
	if err != nil {
		return err
	}
	if data.Logo != nil {
		data.Logo.Error = msg
	}
	return u.showForm(rq, v, data, http.StatusUnprocessableEntity)
}
