#!/usr/bin/env python3
"""Drives headless Chromium (chromedriver) against probe_server.py. Usage: probe.py RUNDIR PORT"""
import json, os, shutil, subprocess, sys, time
from wd import WD

RUN, PORT = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else (os.environ.get("RUN", "."), int(os.environ.get("PORT", "8443")))
ORIGIN = "https://localhost:%d" % PORT
HOME = os.path.join(RUN, "home")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--password-store=basic",
         os.environ.get("FEATURES", "--enable-features=DeviceBoundSessions:RefreshQuota/false,EnableBoundSessionCredentialsSoftwareKeysForManualTesting")] + ([os.environ["DISABLE"]] if os.environ.get("DISABLE") else [])

def mark(msg):
    with open(os.path.join(RUN, "server.log"), "a") as f:
        f.write(json.dumps({"mark": msg, "wall": time.time()}) + "\n")
    print("==", msg, flush=True)

def driver(port):
    env = dict(os.environ, HOME=HOME)
    p = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % port, "--allowed-ips=127.0.0.1"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    time.sleep(1.5)
    return p

def fetch_api(w):
    return w.js("fetch('/api').then(r=>r.json()).then(j=>arguments[arguments.length-1](j.cookie)).catch(e=>arguments[arguments.length-1]('ERR '+e))")

def page_cookie(w):
    return w.js("arguments[arguments.length-1](document.getElementById('c') ? document.getElementById('c').textContent : document.body.innerText)")

def main():
    procs = []
    try:
        d1 = driver(9515); procs.append(d1)
        a = WD(9515)
        a.start(FLAGS + ["--user-data-dir=" + os.path.join(RUN, "profA"),
                         "--log-net-log=" + os.path.join(RUN, "netlogA.json"), "--net-log-capture-mode=Everything"])
        a.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
        mark("A: navigate /login")
        a.go(ORIGIN + "/login")
        time.sleep(3)
        mark("A: navigate /page (bound cookie should be fresh)")
        a.go(ORIGIN + "/page"); print("page sees:", page_cookie(a))
        wait = float(os.environ.get("WAIT", "13"))
        mark("A: sleeping %.0fs for the bound cookie to expire" % wait); time.sleep(wait)
        mark("A: navigate /page after expiry")
        a.go(ORIGIN + "/page"); print("page sees:", page_cookie(a))
        mark("A: sleeping %.0fs again" % wait); time.sleep(wait)
        mark("A: fetch('/api') subresource after expiry")
        print("fetch sees:", fetch_api(a))
        jar = a.cookies()
        mark("A: cookie jar right after refresh " + json.dumps(jar))
        mark("A: fetch('/static/x') excluded path after expiry")
        time.sleep(wait)
        print("static sees:", a.js("fetch('/static/x').then(r=>r.text()).then(t=>arguments[arguments.length-1](t))"))

        # Second profile: fresh user-data-dir, same trusted NSS db; copy the jar in.
        d2 = driver(9516); procs.append(d2)
        b = WD(9516)
        b.start(FLAGS + ["--user-data-dir=" + os.path.join(RUN, "profB"),
                         "--log-net-log=" + os.path.join(RUN, "netlogB.json"), "--net-log-capture-mode=Everything"])
        b.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
        b.go(ORIGIN + "/static/x")
        for c in jar:
            c2 = {k: c[k] for k in ("name", "value", "path", "secure", "httpOnly", "sameSite") if k in c}
            if "expiry" in c: c2["expiry"] = c["expiry"]
            b.add_cookie(c2)
        mark("B: copied jar; navigate /page at once")
        b.go(ORIGIN + "/page"); print("B page sees:", page_cookie(b))
        mark("B: sleeping %.0fs" % wait); time.sleep(wait)
        mark("B: navigate /page after expiry")
        b.go(ORIGIN + "/page"); print("B page sees:", page_cookie(b))
        mark("A: /end then wait and navigate: session ends with continue:false")
        a.go(ORIGIN + "/end"); time.sleep(wait)
        a.go(ORIGIN + "/page"); print("A page sees:", page_cookie(a))
        time.sleep(wait)
        mark("A: navigate again after session end")
        a.go(ORIGIN + "/page"); print("A page sees:", page_cookie(a))
        b.quit(); a.quit()
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, 15)
            except Exception:
                pass

if __name__ == '__main__':
    main()
