package api

import (
	"net/http"
	"strings"
)

// rpcRequest is a decoded JSON-RPC 2.0 request as Odoo's clients send it.
type rpcRequest struct {
	id     any
	params map[string]any
}

// readRPC decodes a JSON-RPC request. The body must be JSON (which browsers cannot
// send across origins without a preflight this server never grants).
func readRPC(r *http.Request) (rpcRequest, error) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json") {
		return rpcRequest{}, errorOf(kindBadRequest, "send the request as application/json")
	}
	v, err := decodeJSON(r.Body)
	if err != nil {
		return rpcRequest{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return rpcRequest{}, errorOf(kindBadRequest, "a JSON-RPC request is an object")
	}
	req := rpcRequest{id: obj["id"]}
	switch p := obj["params"].(type) {
	case map[string]any:
		req.params = p
	case nil:
		req.params = map[string]any{}
	default:
		return rpcRequest{}, errorOf(kindBadRequest, "params must be an object")
	}
	return req, nil
}

// serveJSONRPC answers POST /jsonrpc: {"service", "method", "args"} as XML-RPC's
// services take them.
func (a *API) serveJSONRPC(w http.ResponseWriter, r *http.Request) {
	req, err := readRPC(r)
	if err != nil {
		a.writeRPCError(w, r, nil, err)
		return
	}
	service, err1 := stringArg("service", req.params["service"])
	method, err2 := stringArg("method", req.params["method"])
	if err1 != nil || err2 != nil {
		a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "params.service and params.method must be text"))
		return
	}
	var args []any
	if given(req.params["args"]) {
		list, ok := req.params["args"].([]any)
		if !ok {
			a.writeRPCError(w, r, req.id, errorOf(kindBadRequest, "params.args must be a list"))
			return
		}
		args = list
	}
	result, err := a.serviceCall(r, service, method, args)
	if err != nil {
		a.writeRPCError(w, r, req.id, err)
		return
	}
	a.writeRPCResult(w, req.id, result)
}

func (a *API) writeRPCResult(w http.ResponseWriter, id, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": id, "result": jsonReady(result)})
}

// writeRPCError answers as Odoo does: HTTP 200 with an error object whose data
// carries the exception name and the message.
func (a *API) writeRPCError(w http.ResponseWriter, r *http.Request, id any, err error) {
	ce, internal := classify(err)
	if internal {
		a.log.ErrorContext(r.Context(), "api call failed", "protocol", "jsonrpc", "error", err)
	}
	status := http.StatusOK
	if ce.kind == kindRateLimited || ce.kind == kindUnavailable {
		status = odooKinds[ce.kind].status
		setRetryAfter(w, ce)
	}
	code, message := 200, "Odoo Server Error"
	if ce.kind == kindSessionExpired {
		code, message = 100, "Odoo Session Expired"
	}
	writeJSON(w, status, map[string]any{
		"jsonrpc": "2.0",
		"id":      id,
		"error": map[string]any{
			"code":    code,
			"message": message,
			"data": map[string]any{
				"name":      odooKinds[ce.kind].name,
				"message":   ce.message,
				"arguments": []any{ce.message},
				"context":   map[string]any{},
				"debug":     "",
			},
		},
	})
}
