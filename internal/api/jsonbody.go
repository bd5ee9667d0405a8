package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/orm"
)

// jsonLimits bound a decoded JSON body as xmlrpc.Limits bound an XML one.
const (
	maxJSONDepth  = 32
	maxJSONValues = 500_000
	maxJSONString = 8 << 20
)

// decodeJSON reads one JSON value from a request body: numbers stay exact
// (json.Number), and depth, value count and string sizes are checked.
func decodeJSON(body io.Reader) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errorOf(kindBadRequest, "the request body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, errorOf(kindBadRequest, "the request body could not be read")
	}
	if !utf8.Valid(raw) {
		return nil, errorOf(kindBadRequest, "the request body is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, errorOf(kindBadRequest, "the request body is not valid JSON: %s", jsonMessage(err))
	}
	if d.More() {
		return nil, errorOf(kindBadRequest, "the request body holds more than one JSON value")
	}
	count := 0
	if err := checkJSON(v, 0, &count); err != nil {
		return nil, err
	}
	return v, nil
}

func jsonMessage(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return syn.Error() + " at byte " + itoa(syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early"
	}
	return "unexpected content"
}

func checkJSON(v any, depth int, count *int) error {
	*count++
	if *count > maxJSONValues {
		return errorOf(kindBadRequest, "the request holds more than %d values", maxJSONValues)
	}
	switch v := v.(type) {
	case string:
		if len(v) > maxJSONString {
			return errorOf(kindBadRequest, "a string is longer than %d bytes", maxJSONString)
		}
	case json.Number:
		if len(v) > 64 {
			return errorOf(kindBadRequest, "a number has more than 64 characters")
		}
	case []any:
		if depth >= maxJSONDepth {
			return errorOf(kindBadRequest, "values nest deeper than %d levels", maxJSONDepth)
		}
		for _, item := range v {
			if err := checkJSON(item, depth+1, count); err != nil {
				return err
			}
		}
	case map[string]any:
		if depth >= maxJSONDepth {
			return errorOf(kindBadRequest, "values nest deeper than %d levels", maxJSONDepth)
		}
		for k, item := range v {
			if len(k) > maxJSONString {
				return errorOf(kindBadRequest, "a key is longer than %d bytes", maxJSONString)
			}
			if err := checkJSON(item, depth+1, count); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonReady rewrites, in place, the values encoding/json would write differently
// from Odoo: exact amounts become JSON numbers (not strings), times become Odoo's
// "YYYY-MM-DD HH:MM:SS" text.
func jsonReady(v any) any {
	switch v := v.(type) {
	case *apd.Decimal:
		if v == nil {
			return false
		}
		return json.Number(v.Text('f'))
	case apd.Decimal:
		return json.Number(v.Text('f'))
	case time.Time:
		return v.UTC().Format(orm.DatetimeLayout)
	case map[string]any:
		for k, x := range v {
			v[k] = jsonReady(x)
		}
	case []map[string]any:
		for _, m := range v {
			jsonReady(m)
		}
	case []any:
		for i, x := range v {
			v[i] = jsonReady(x)
		}
	case map[string]map[string]any:
		for _, m := range v {
			jsonReady(m)
		}
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		buf = []byte(`{"name":"werkzeug.exceptions.InternalServerError","message":"the result could not be encoded","arguments":["the result could not be encoded"],"context":{},"debug":""}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf)
}
