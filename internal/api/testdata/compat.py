#!/usr/bin/env python3
"""Compatibility check of Instant-ERP's external API with the clients Odoo documents.

Uses only the standard library, exactly as Odoo's external API documentation does:
xmlrpc.client for XML-RPC, urllib for JSON-RPC and JSON-2. Every step asserts the
result, not just the absence of an error.

usage: compat.py URL CAFILE DB LOGIN PASSWORD API_KEY
"""
import json
import ssl
import sys
import urllib.error
import urllib.request
import xmlrpc.client

url, cafile, db, username, password, api_key = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)
    print("ok   " + what)


# --- XML-RPC, following the documentation's examples step by step -------------

common = xmlrpc.client.ServerProxy("{}/xmlrpc/2/common".format(url), context=context)
version = common.version()
check(isinstance(version["server_version"], str) and version["protocol_version"] == 1, "version()")

uid = common.authenticate(db, username, password, {})
check(isinstance(uid, int) and uid > 0, "authenticate with the password")
check(common.authenticate(db, username, api_key, {}) == uid, "authenticate with the API key")
check(common.authenticate(db, username, "wrong password", {}) is False, "wrong password gives False")
check(common.authenticate("no-such-db", username, password, {}) is False, "unknown database gives False")

models = xmlrpc.client.ServerProxy("{}/xmlrpc/2/object".format(url), context=context)
check(models.execute_kw(db, uid, api_key, "res.partner", "check_access_rights", ["read"], {"raise_exception": False}) is True,
      "check_access_rights read")

names = ["Compat Alpha", "Compat Beta", "Compat Gamma", "Compat Delta"]
created = [models.execute_kw(db, uid, api_key, "res.partner", "create", [{"name": n, "is_company": True}]) for n in names]
check(all(isinstance(i, int) for i in created) and len(set(created)) == 4, "create one record per call returns its id")

dom = [[["is_company", "=", True], ["name", "=like", "Compat %"]]]
ids = models.execute_kw(db, uid, api_key, "res.partner", "search", dom, {"order": "name"})
check(len(ids) == 4, "search")
page = models.execute_kw(db, uid, api_key, "res.partner", "search", dom, {"offset": 1, "limit": 2, "order": "name"})
check(page == ids[1:3], "search with offset and limit")
count = models.execute_kw(db, uid, api_key, "res.partner", "search_count", dom)
check(count == 4, "search_count")

[record] = models.execute_kw(db, uid, api_key, "res.partner", "read", [ids[0]], {"fields": ["name", "country_id", "comment"]})
check(record["name"] == "Compat Alpha" and record["id"] == ids[0], "read with fields")
check(record["country_id"] is False and record["comment"] is False, "empty values read as False")

fields = models.execute_kw(db, uid, api_key, "res.partner", "fields_get", [], {"attributes": ["string", "help", "type"]})
check(fields["name"]["type"] == "char" and set(fields["name"]) == {"string", "help", "type"}, "fields_get with attributes")
check(fields["country_id"]["type"] == "many2one", "fields_get types")

rows = models.execute_kw(db, uid, api_key, "res.partner", "search_read", dom, {"fields": ["name", "is_company"], "limit": 5, "order": "name"})
check([r["name"] for r in rows] == sorted(names) and set(rows[0]) == {"id", "name", "is_company"}, "search_read")

new_id = models.execute_kw(db, uid, api_key, "res.partner", "create", [{"name": "New Partner", "parent_id": ids[0]}])
check(isinstance(new_id, int), "create")
check(models.execute_kw(db, uid, api_key, "res.partner", "write", [[new_id], {"name": "Newer Partner"}]) is True, "write")
[rec] = models.execute_kw(db, uid, api_key, "res.partner", "read", [[new_id]], {"fields": ["name", "display_name", "parent_id"]})
check(rec["name"] == "Newer Partner", "write is visible")
check(rec["parent_id"] == [ids[0], "Compat Alpha"], "many2one reads as [id, display name]")
check("Newer Partner" in rec["display_name"], "display_name")
pairs = models.execute_kw(db, uid, api_key, "res.partner", "name_search", ["Compat Beta"])
check(pairs and pairs[0][0] == ids[1] and pairs[0][1] == "Compat Beta", "name_search")

check(models.execute_kw(db, uid, api_key, "res.partner", "unlink", [[new_id]]) is True, "unlink")
check(models.execute_kw(db, uid, api_key, "res.partner", "search", [[["id", "=", new_id]]]) == [], "unlinked record is gone")

try:
    models.execute_kw(db, uid, api_key, "res.partner", "_private_helper", [[ids[0]]])
    check(False, "private method refused")
except xmlrpc.client.Fault as fault:
    check(fault.faultCode == 4, "private method refused with an access error")
try:
    models.execute_kw(db, uid, api_key, "res.partner", "no_such_method", [[ids[0]]])
    check(False, "unknown method refused")
except xmlrpc.client.Fault as fault:
    check("does not exist" in fault.faultString, "unknown method does not exist")
try:
    models.execute_kw(db, uid, "wrong", "res.partner", "search", [[]])
    check(False, "wrong key refused")
except xmlrpc.client.Fault as fault:
    check(fault.faultCode == 3 and fault.faultString == "Access Denied", "wrong key gives Access Denied")
try:
    xmlrpc.client.ServerProxy("{}/xmlrpc/2/db".format(url), context=context).list()
    check(False, "db.list refused")
except xmlrpc.client.Fault as fault:
    check(fault.faultString == "Access Denied", "db.list refused")


# --- JSON-RPC ---------------------------------------------------------------

def post(path, payload, headers=None):
    req = urllib.request.Request(url + path, data=json.dumps(payload).encode(), method="POST",
                                 headers=dict({"Content-Type": "application/json"}, **(headers or {})))
    try:
        with urllib.request.urlopen(req, context=context) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def jsonrpc(service, method, *args):
    status, body = post("/jsonrpc", {"jsonrpc": "2.0", "method": "call", "id": 1,
                                     "params": {"service": service, "method": method, "args": args}})
    if "error" in body:
        raise RuntimeError(body["error"]["data"]["name"] + ": " + body["error"]["data"]["message"])
    return body["result"]


check(jsonrpc("common", "version")["server_version"] == version["server_version"], "JSON-RPC version")
juid = jsonrpc("common", "authenticate", db, username, api_key, {})
check(juid == uid, "JSON-RPC authenticate")
jid = jsonrpc("object", "execute_kw", db, uid, api_key, "res.partner", "create", [{"name": "Json Partner"}])
check(isinstance(jid, int), "JSON-RPC create")
jrows = jsonrpc("object", "execute_kw", db, uid, api_key, "res.partner", "search_read",
                [[["id", "=", jid]]], {"fields": ["name"]})
check(jrows == [{"id": jid, "name": "Json Partner"}], "JSON-RPC search_read")
check(jsonrpc("object", "execute_kw", db, uid, api_key, "res.partner", "write", [[jid], {"name": "Json Renamed"}]) is True, "JSON-RPC write")
check(jsonrpc("object", "execute_kw", db, uid, api_key, "res.partner", "unlink", [[jid]]) is True, "JSON-RPC unlink")
try:
    jsonrpc("object", "execute_kw", db, uid, "wrong", "res.partner", "search", [[]])
    check(False, "JSON-RPC wrong key refused")
except RuntimeError as err:
    check(str(err) == "odoo.exceptions.AccessDenied: Access Denied", "JSON-RPC wrong key gives AccessDenied")


# --- JSON-2 -----------------------------------------------------------------

def json2(model, method, key=api_key, **params):
    return post("/json/2/{}/{}".format(model, method), params,
                {"Authorization": "bearer " + key, "X-Odoo-Database": db})


status, found = json2("res.partner", "search", domain=[["name", "=like", "Compat %"]], order="name")
check(status == 200 and found == ids, "JSON-2 search")
status, n = json2("res.partner", "search_count", domain=[["name", "=like", "Compat %"]])
check(status == 200 and n == 4, "JSON-2 search_count")
status, recs = json2("res.partner", "read", ids=ids[:2], fields=["name"])
check(status == 200 and [r["name"] for r in recs] == ["Compat Alpha", "Compat Beta"], "JSON-2 read")
status, rows = json2("res.partner", "search_read", domain=[["name", "=like", "Compat %"]], fields=["name"], limit=2, offset=1, order="name")
check(status == 200 and [r["name"] for r in rows] == ["Compat Beta", "Compat Delta"], "JSON-2 search_read with limit and offset")
status, new_ids = json2("res.partner", "create", vals_list=[{"name": "Two A"}, {"name": "Two B"}])
check(status == 200 and len(new_ids) == 2, "JSON-2 create")
status, ok = json2("res.partner", "write", ids=new_ids, vals={"comment": "<p>bulk</p>"})
check(status == 200 and ok is True, "JSON-2 write")
status, fg = json2("res.partner", "fields_get", attributes=["type"])
check(status == 200 and fg["parent_id"] == {"type": "many2one"}, "JSON-2 fields_get")
status, ok = json2("res.partner", "unlink", ids=new_ids)
check(status == 200 and ok is True, "JSON-2 unlink")
status, err = json2("res.partner", "search", key="iek_wrong")
check(status == 401 and err["name"] == "odoo.exceptions.AccessDenied" and set(err) == {"name", "message", "arguments", "context", "debug"},
      "JSON-2 bad key gives 401 with Odoo's error object")
status, err = json2("res.partner", "_private")
check(status == 403 and err["name"] == "odoo.exceptions.AccessError", "JSON-2 private method gives 403")
status, err = json2("res.partner", "read", ids=[10 ** 9])
check(status in (403, 404) and err["message"], "JSON-2 missing record is refused with a message")

# Clean up what the run created, so that it can be repeated.
models.execute_kw(db, uid, api_key, "res.partner", "unlink", [ids])
print("compat: all checks passed")
