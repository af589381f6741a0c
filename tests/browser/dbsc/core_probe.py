#!/usr/bin/env python3
"""Drives Chromium against core_server.py: registration, refresh after expiry (navigation and
fetch), and a copied cookie jar in a second profile. Env RUN, PORT as for probe.py."""
import json, os, time
import probe
from probe import FLAGS, driver, mark, page_cookie
from wd import WD

procs = []
try:
    procs.append(driver(9515)); a = WD(9515)
    a.start(FLAGS + ["--user-data-dir=" + os.path.join(probe.RUN, "profA"),
                     "--log-net-log=" + os.path.join(probe.RUN, "netlogA.json")])
    a.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
    mark("A: login"); a.go(probe.ORIGIN + "/login"); time.sleep(2)
    mark("A: /page"); a.go(probe.ORIGIN + "/page"); print("A /page:", page_cookie(a))
    jar = a.cookies()
    procs.append(driver(9516)); b = WD(9516)
    b.start(FLAGS + ["--user-data-dir=" + os.path.join(probe.RUN, "profB")])
    b.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
    b.go(probe.ORIGIN + "/public")
    for c in jar:
        b.add_cookie({k: c[k] for k in ("name", "value", "path", "secure", "httpOnly", "sameSite", "expiry") if k in c})
    mark("B: copied jar, /page"); b.go(probe.ORIGIN + "/page"); print("B /page (copied, fresh):", page_cookie(b))
    mark("sleep 12"); time.sleep(12)
    mark("A: /page after expiry"); a.go(probe.ORIGIN + "/page"); print("A /page after expiry:", page_cookie(a))
    mark("B: /page after expiry"); b.go(probe.ORIGIN + "/page"); print("B /page after expiry:", page_cookie(b))
    mark("sleep 12"); time.sleep(12)
    mark("A: fetch /api after expiry"); print("A fetch /api:", a.js("fetch('/api').then(r=>r.text()).then(t=>arguments[arguments.length-1](t))"))
    a.quit(); b.quit()
finally:
    for p in procs:
        try: os.killpg(p.pid, 15)
        except Exception: pass
