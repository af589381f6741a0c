#!/usr/bin/env python3
"""Cookie-jar theft probe: log in in profile A, copy A's jar (bound cookie still fresh) into a
fresh profile B, then let the bound cookie expire. Usage: probe_copy.py RUNDIR PORT"""
import json, os, subprocess, sys, time
from wd import WD
from probe import FLAGS, driver, mark, page_cookie
import probe
procs = []
try:
    d1 = driver(9515); procs.append(d1)
    a = WD(9515)
    a.start(FLAGS + ["--user-data-dir=" + os.path.join(probe.RUN, "profA")])
    a.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
    mark("A: login"); a.go(probe.ORIGIN + "/login"); time.sleep(2)
    a.go(probe.ORIGIN + "/page"); print("A sees:", page_cookie(a))
    jar = a.cookies(); mark("A jar " + json.dumps(jar))
    d2 = driver(9516); procs.append(d2)
    b = WD(9516)
    b.start(FLAGS + ["--user-data-dir=" + os.path.join(probe.RUN, "profB")])
    b.s("POST", "/timeouts", {"script": 30000, "pageLoad": 30000})
    b.go(probe.ORIGIN + "/static/x")
    for c in jar:
        b.add_cookie({k: c[k] for k in ("name", "value", "path", "secure", "httpOnly", "sameSite", "expiry") if k in c})
    mark("B: jar copied; /page at once"); b.go(probe.ORIGIN + "/page"); print("B sees:", page_cookie(b))
    mark("sleep 12"); time.sleep(12)
    mark("B: /page after expiry"); b.go(probe.ORIGIN + "/page"); print("B sees:", page_cookie(b))
    mark("B: fetch /api after expiry"); print("B fetch:", probe.fetch_api(b))
    mark("A: /page after expiry"); a.go(probe.ORIGIN + "/page"); print("A sees:", page_cookie(a))
    a.quit(); b.quit()
finally:
    for p in procs:
        try: os.killpg(p.pid, 15)
        except Exception: pass
