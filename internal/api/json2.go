package api

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// serveJSON2 answers POST /json/2/<model>/<method> with a bearer API key. The body
// holds named parameters, plus "ids" (the records) and "context". The tenant comes
// from the host, or from X-Odoo-Database on the bare domain.
func (a *API) serveJSON2(w http.ResponseWriter, r *http.Request) {
	if err := a.allowAddress(r); err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	key, ok := bearer(r)
	lease, release, err := a.tenantFor(r, "")
	if err != nil || !ok {
		if err == nil {
			release()
		}
		a.auth.Dummy(key)
		a.writeJSON2Error(w, r, accessDenied())
		return
	}
	defer release()
	p, err := a.auth.Bearer(r.Context(), lease.DB, key, clientOf(r))
	if err != nil {
		a.writeJSON2Error(w, r, accessDenied())
		return
	}
	if err := a.allowPrincipal(lease.Tenant.Name, p); err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		a.writeJSON2Error(w, r, errorOf(kindBadRequest, "send the parameters as application/json"))
		return
	}
	c, err := bindJSON2(r.PathValue("model"), r.PathValue("method"), r.Body)
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	result, err := a.execute(r.Context(), lease, p, c)
	if err != nil {
		a.writeJSON2Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, jsonReady(result))
}

// bearer returns the key of an "Authorization: bearer <key>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// bindJSON2 turns a JSON-2 body into a call: "ids" become the records, "context"
// the context, and every other member a keyword argument. An empty body is no
// parameters.
func bindJSON2(model, method string, body io.Reader) (call, error) {
	c := call{model: model, method: method, kwargs: map[string]any{}}
	raw, err := io.ReadAll(body)
	if err != nil {
		return call{}, errorOf(kindBadRequest, "the request body could not be read")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return c, nil
	}
	v, err := decodeJSON(bytes.NewReader(raw))
	if err != nil {
		return call{}, err
	}
	if v == nil {
		return c, nil
	}
	params, ok := v.(map[string]any)
	if !ok {
		return call{}, errorOf(kindBadRequest, "the body must be a JSON object of named parameters")
	}
	for k, v := range params {
		switch k {
		case "ids":
			ids, err := idsArg(v, int(^uint(0)>>1))
			if err != nil {
				return call{}, err
			}
			c.ids, c.hasIDs = ids, true
		case "context":
			if given(v) {
				m, ok := v.(map[string]any)
				if !ok {
					return call{}, errorOf(kindBadRequest, "context must be an object")
				}
				c.kwargs["context"] = m
			}
		default:
			c.kwargs[k] = v
		}
	}
	if std, ok := standardMethods[method]; ok {
		if std.onRecords {
			c.hasIDs = true
		} else if len(c.ids) > 0 {
			return call{}, errorOf(kindBadRequest, "%s is not called on records; leave ids out", method)
		}
	}
	return c, nil
}

// writeJSON2Error answers with the HTTP status of the error and Odoo's error object.
func (a *API) writeJSON2Error(w http.ResponseWriter, r *http.Request, err error) {
	ce, internal := classify(err)
	if internal {
		a.log.ErrorContext(r.Context(), "api call failed", "protocol", "json2", "error", err)
	}
	setRetryAfter(w, ce)
	k := odooKinds[ce.kind]
	writeJSON(w, k.status, map[string]any{
		"name":      k.name,
		"message":   ce.message,
		"arguments": []any{ce.message, k.status},
		"context":   map[string]any{},
		"debug":     "",
	})
}
