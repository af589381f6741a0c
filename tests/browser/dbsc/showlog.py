import json, sys
SKIP = ("user-agent","accept","accept-encoding","accept-language","sec-ch-ua","sec-ch-ua-mobile","sec-ch-ua-platform","upgrade-insecure-requests","host","connection","sec-fetch-mode","sec-fetch-dest","sec-fetch-user","referer","content-length")
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "mark" in e: print("##", e["mark"][:200]); continue
    if e.get("dir") == "req":
        print("%7.3f REQ  %s %s %s" % (e["t"], e["method"], e["path"], [h for h in e["headers"] if h[0].lower() not in SKIP and h[0] != "Secure-Session-Response"]))
        if "jwt" in e: print("         JWT", json.dumps({k: e["jwt"][k] for k in ("header","payload")}))
    elif e.get("dir") == "resp":
        print("%7.3f RESP %s %s %s %s" % (e["t"], e["status"], e["path"], e["headers"], e["body"][:80] if e["path"] in ("/reg","/refresh") else ""))
    else: print("        ", e)
