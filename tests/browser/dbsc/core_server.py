#!/usr/bin/env python3
"""HTTPS server whose every DBSC step is done by the session-runtime core (dbsc-cli).
State lives only in cookies, like the library's design: `app` = pending.<sid> or
bound.<sid>.<compressed key hex> (unsigned here: a throwaway), `bound` = BoundCookie.
Usage: core_server.py CERT KEY PORT LOGFILE CLI"""
import http.server, json, os, ssl, subprocess, sys, threading, time

CERT, KEY, PORT, LOGFILE, CLI = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
BOUND_MAX_AGE = int(os.environ.get("BOUND_MAX_AGE", "10"))
STALE_PRESEND = os.environ.get("STALE_PRESEND", "0") == "1"
ATTRS = "Path=/; Secure; HttpOnly; SameSite=Lax"
lock = threading.Lock()
T0 = time.time()

def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=True).stdout.rstrip("\n").split("\n")

def log(entry):
    entry["t"] = round(time.time() - T0, 3)
    with lock, open(LOGFILE, "a") as f:
        f.write(json.dumps(entry) + "\n")

def cookies(h):
    out = {}
    for part in (h.get("Cookie") or "").split(";"):
        if "=" in part:
            k, v = part.strip().split("=", 1); out[k] = v
    return out

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, status, body=b"", headers=(), note=None):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers(); self.wfile.write(body)
        log({"dir": "resp", "path": self.path, "status": status, "headers": list(headers),
             "body": body.decode(errors="replace")[:300], "note": note})
    def handle_req(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        log({"dir": "req", "method": self.command, "path": self.path,
             "headers": [[k, v] for k, v in self.headers.items()]})
        c = cookies(self.headers); app = c.get("app", ""); parts = app.split(".")
        path = self.path.split("?")[0]
        if path == "/login":
            sid, reg = cli("login", "/dbsc/register", "auth-xyz")
            return self.send(200, "logged in", [
                ("Set-Cookie", "app=pending.%s; Max-Age=3600; %s" % (sid, ATTRS)),
                ("Secure-Session-Registration", reg)])
        if path == "/dbsc/register":
            if parts[0] != "pending":
                return self.send(400, "no pending registration", note="no pending")
            res = cli("register", self.headers.get("Secure-Session-Response", ""), parts[1], "auth-xyz")
            if res[0] != "OK":
                return self.send(400, res[1], note="register refused: " + res[1])
            sid, keyhex = parts[1], res[1]
            extra = [("Set-Cookie", "app=bound.%s.%s; Max-Age=3600; %s" % (sid, keyhex, ATTRS)),
                     ("Set-Cookie", "bound=%s; Max-Age=%d; %s" % (cli("bound", sid, str(BOUND_MAX_AGE), keyhex)[0], BOUND_MAX_AGE, ATTRS)),
                     ("Content-Type", "application/json")]
            if STALE_PRESEND:
                extra.append(("Secure-Session-Challenge", cli("challenge", sid, str(int(time.time()) - 1000))[0]))
            return self.send(200, cli("instructions", sid, "/dbsc/refresh", "bound", ATTRS)[0], extra,
                             note="registered key " + keyhex)
        if path == "/dbsc/refresh":
            if parts[0] != "bound":
                return self.send(401, "no bound session", note="refresh without bound session")
            sid, keyhex = parts[1], parts[2]
            header_sid = self.headers.get("Sec-Secure-Session-Id", "")
            proof = self.headers.get("Secure-Session-Response")
            if not proof:
                return self.send(403, "", [("Secure-Session-Challenge", cli("challenge", sid)[0])], note="challenge issued")
            res = cli("refresh", proof, header_sid, keyhex)
            if res[0] != "OK":
                if "window" in res[1]:  # stale challenge: a fresh one, the browser retries
                    return self.send(403, "", [("Secure-Session-Challenge", cli("challenge", sid)[0])], note="stale: " + res[1])
                return self.send(401, res[1], note="refresh refused: " + res[1])
            return self.send(200, "", [("Set-Cookie", "bound=%s; Max-Age=%d; %s" % (cli("bound", sid, str(BOUND_MAX_AGE), keyhex)[0], BOUND_MAX_AGE, ATTRS))],
                             note="refreshed (challenge issued at %s)" % res[1])
        if path in ("/page", "/api"):
            if parts[0] != "bound":
                return self.send(401, "refused: session not bound", note="refused unbound")
            res = cli("check-bound", c.get("bound", ""), parts[1])
            if res[0] != "OK":
                return self.send(401, "refused: " + res[1], note="refused: " + res[1])
            return self.send(200, "<html><body><pre id=c>OK bound until %s</pre></body></html>" % res[1], note="allowed")
        return self.send(200, "<html><body><pre id=c>public</pre></body></html>")
    do_GET = handle_req; do_POST = handle_req

srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
