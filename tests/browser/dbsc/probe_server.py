#!/usr/bin/env python3
"""Throwaway HTTPS server that logs every DBSC-relevant request (headers, body, decoded JWT).

Usage: probe_server.py CERT KEY PORT LOGFILE
Routes:
  GET  /            plain page
  GET  /login       sets long-lived `app` cookie + Secure-Session-Registration
  POST /reg         registration endpoint: verifies the ES256 JWT (python cryptography) and
                    answers the session instructions JSON + bound cookie (Max-Age=$BOUND_MAX_AGE)
  POST /refresh     no Secure-Session-Response -> 403 + Secure-Session-Challenge;
                    with one -> verify against the registered key, re-set bound cookie
  GET  /page, /api  echo the cookies received (logged)
  GET  /end         next refresh answers {"continue": false}
"""
import base64, http.server, json, os, ssl, sys, threading, time

CERT, KEY, PORT, LOGFILE = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
BOUND_MAX_AGE = int(os.environ.get("BOUND_MAX_AGE", "10"))
REG_CHALLENGE_IN_REG = os.environ.get("REG_CHALLENGE_IN_REG", "0") == "1"
lock = threading.Lock()
state = {"keys": {}, "n": 0, "end": False, "challenges": []}
T0 = time.time()

def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def decode_jwt(tok):
    try:
        h, p, s = tok.split(".")
        return json.loads(b64d(h)), json.loads(b64d(p)), s, (h + "." + p).encode()
    except Exception as e:
        return {"error": str(e)}, None, None, None

def verify(jwk, signing_input, sig_b64):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.hazmat.primitives import hashes
    x = int.from_bytes(b64d(jwk["x"]), "big"); y = int.from_bytes(b64d(jwk["y"]), "big")
    pub = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    sig = b64d(sig_b64)
    r = int.from_bytes(sig[:32], "big"); s = int.from_bytes(sig[32:], "big")
    try:
        pub.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False

def sf_string_value(v):
    v = v.strip()
    if v.startswith('"'):
        end = v.index('"', 1)
        return v[1:end]
    return v

def log(entry):
    entry["t"] = round(time.time() - T0, 3)
    with lock:
        with open(LOGFILE, "a") as f:
            f.write(json.dumps(entry) + "\n")

def instructions(sid):
    return {
        "session_identifier": sid,
        "refresh_url": "/refresh",
        "scope": {"include_site": False,
                  "scope_specification": [{"type": "exclude", "path": "/static"}]},
        "credentials": [{"type": "cookie", "name": "bound",
                         "attributes": "Path=/; Secure; HttpOnly; SameSite=Lax"}],
    }

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, status, body=b"", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode(); headers = list(headers) + [("Content-Type", "application/json")]
        elif isinstance(body, str):
            body = body.encode(); headers = list(headers) + [("Content-Type", "text/html")]
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        log({"dir": "resp", "path": self.path, "status": status, "headers": list(headers),
             "body": body.decode(errors="replace")[:2000]})
    def handle_req(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        entry = {"dir": "req", "method": self.command, "path": self.path,
                 "headers": [[k, v] for k, v in self.headers.items()],
                 "body": body.decode(errors="replace")}
        ssr = self.headers.get("Secure-Session-Response")
        if ssr:
            tok = sf_string_value(ssr)
            h, p, s, si = decode_jwt(tok)
            entry["jwt"] = {"header": h, "payload": p, "sig_len": len(b64d(s)) if s else None,
                            "raw_len": len(tok)}
        log(entry)
        path = self.path.split("?")[0]
        if path == "/login":
            return self.send(200, "<html><body>logged in <a href='/page'>page</a></body></html>", [
                ("Set-Cookie", "app=LONG1; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax"),
                ("Secure-Session-Registration",
                 '(ES256 RS256);path="/reg";challenge="c-reg-1";authorization="auth-xyz"'),
            ])
        if path == "/reg":
            if not ssr:
                return self.send(400, {"err": "no proof"})
            if h.get("alg") == "ES256" and "jwk" in h:
                ok = verify(h["jwk"], si, s)
            else:
                ok = None
            with lock:
                state["n"] += 1
                sid = "s%d" % state["n"]
                state["keys"][sid] = h.get("jwk")
            log({"note": "reg verify", "ok": ok, "sid": sid})
            extra = [("Set-Cookie", "bound=B-%s-%d; Max-Age=%d; Path=/; Secure; HttpOnly; SameSite=Lax"
                      % (sid, int(time.time()), BOUND_MAX_AGE))]
            if REG_CHALLENGE_IN_REG:
                extra.append(("Secure-Session-Challenge", '"c-pre-%s-%d";id="%s"' % (sid, int(time.time()), sid)))
            return self.send(200, instructions(sid), extra)
        if path == "/refresh":
            sid = self.headers.get("Sec-Secure-Session-Id")
            sid = sf_string_value(sid) if sid else None
            if state["end"]:
                state["end"] = False
                return self.send(200, {"continue": False})
            if not ssr:
                ch = "c-ref-%d" % int(time.time() * 1000)
                return self.send(403, b"", [("Secure-Session-Challenge", '"%s";id="%s"' % (ch, sid))])
            jwk = state["keys"].get(sid)
            ok = verify(jwk, si, s) if jwk else None
            log({"note": "refresh verify", "ok": ok, "sid": sid})
            if not ok:
                return self.send(403, {"err": "bad proof"})
            extra = [("Set-Cookie", "bound=B-%s-%d; Max-Age=%d; Path=/; Secure; HttpOnly; SameSite=Lax"
                      % (sid, int(time.time()), BOUND_MAX_AGE))]
            if REG_CHALLENGE_IN_REG:
                extra.append(("Secure-Session-Challenge", '"c-pre-%s-%d";id="%s"' % (sid, int(time.time()), sid)))
            if os.environ.get("REFRESH_EMPTY_BODY") == "1":
                return self.send(200, b"", extra)
            return self.send(200, instructions(sid), extra)
        if path == "/end":
            state["end"] = True
            return self.send(200, "ok")
        if path in ("/page", "/api", "/static/x", "/"):
            c = self.headers.get("Cookie", "")
            if path == "/api":
                return self.send(200, {"cookie": c})
            return self.send(200, "<html><body><pre id=c>%s</pre></body></html>" % c)
        return self.send(404, "nf")
    do_GET = handle_req
    do_POST = handle_req

srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
