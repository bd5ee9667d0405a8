package api

import (
	"net/http"
	"strconv"

	"github.com/instant-erp/instanterp/internal/api/xmlrpc"
)

// serveXMLRPC answers POST /xmlrpc/2/<service> (and the legacy /xmlrpc/<service>).
// Errors are faults with Odoo's codes; only rate limiting and unavailability change
// the HTTP status, so that clients can back off.
func (a *API) serveXMLRPC(w http.ResponseWriter, r *http.Request) {
	c, err := xmlrpc.DecodeCall(r.Body, xmlrpc.Limits{})
	if err != nil {
		a.writeFault(w, r, errorOf(kindBadRequest, "%s", err.Error()))
		return
	}
	result, err := a.serviceCall(r, r.PathValue("service"), c.Method, c.Params)
	if err != nil {
		a.writeFault(w, r, err)
		return
	}
	buf, err := xmlrpc.AppendResponse(make([]byte, 0, 4096), result)
	if err != nil {
		a.writeFault(w, r, err)
		return
	}
	writeXML(w, http.StatusOK, buf)
}

func (a *API) writeFault(w http.ResponseWriter, r *http.Request, err error) {
	ce, internal := classify(err)
	if internal {
		a.log.ErrorContext(r.Context(), "api call failed", "protocol", "xmlrpc", "error", err)
	}
	status := http.StatusOK
	if ce.kind == kindRateLimited || ce.kind == kindUnavailable {
		status = odooKinds[ce.kind].status
		setRetryAfter(w, ce)
	}
	writeXML(w, status, xmlrpc.AppendFault(nil, &xmlrpc.Fault{Code: odooKinds[ce.kind].fault, String: ce.message}))
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

func setRetryAfter(w http.ResponseWriter, ce *callError) {
	if ce.retryAfter > 0 {
		secs := int64((ce.retryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}
