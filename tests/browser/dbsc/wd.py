"""Minimal WebDriver client (urllib) for the probe: enough to open sessions, navigate, run JS
and read/add cookies on chromedriver at 127.0.0.1."""
import json, urllib.request

class WD:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.sid = None
    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(e.read().decode())
    def start(self, args, binary="/usr/bin/chromium"):
        v = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "acceptInsecureCerts": False,
            "goog:chromeOptions": {"binary": binary, "args": args}}}})
        self.sid = v["sessionId"]
        return v
    def s(self, method, path, body=None, timeout=60):
        return self.call(method, "/session/%s%s" % (self.sid, path), body, timeout)
    def go(self, url):
        return self.s("POST", "/url", {"url": url})
    def js(self, script, args=()):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})
    def cookies(self):
        return self.s("GET", "/cookie")
    def add_cookie(self, c):
        return self.s("POST", "/cookie", {"cookie": c})
    def source(self):
        return self.s("GET", "/source")
    def quit(self):
        try:
            self.call("DELETE", "/session/" + self.sid, timeout=20)
        except Exception:
            pass
