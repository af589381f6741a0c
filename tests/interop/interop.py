#!/usr/bin/env python3
"""Independent reader and forger of session-runtime cookies, written from
docs/wire-format.md (see README.md beside this file).

    python3 interop.py selftest [--bless]   check vectors.json (--bless: rewrite its outputs)
    python3 interop.py batch < request.json  read and write cookies for tests/interop.rs

Python 3.11, the standard library, and `cryptography` (requirements.txt) for
AES-256-GCM-SIV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cookiewire import chunks, codec
from cookiewire.envelopes import Aes256GcmSiv, HmacSha256, envelope_of
from cookiewire.postcard import PayloadError, Reader
from cookiewire.primitives import (
    HEADER_LEN,
    Keys,
    b64url_decode_canonical,
    fingerprint_hint,
    to_wire_secs,
)
from cookiewire.schema import Parser, Session, leaf, parse_session

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "vectors.json"


def hex64(n: int) -> str:
    return f"{n:016x}"


class Schemas:
    """The sessions and named types of vectors.json."""

    def __init__(self, doc: dict):
        self.types = doc["types"]
        self.sessions = {name: parse_session(d, self.types) for name, d in doc["sessions"].items()}

    def session(self, name: str) -> Session:
        return self.sessions[name]

    def ty(self, descriptor):
        return Parser(self.types).ty(descriptor)


# --- vectors ---------------------------------------------------------------------


def compute_vectors(doc: dict) -> dict:
    """Every output of vectors.json recomputed from its inputs."""
    schemas = Schemas(doc)
    out = json.loads(json.dumps(doc))
    for v in out["keys"]:
        keys = Keys.from_secret(bytes.fromhex(v["secret"]))
        v.update(key_id=keys.key_id.hex(), mac_key=keys.mac_key.hex(), aead_key=keys.aead_key.hex())
    for v in out["times"]:
        v["wire_secs"] = to_wire_secs(v["unix_ms"])
    for v in out["base64url"]:
        raw = b64url_decode_canonical(v["text"])
        v["bytes"] = None if raw is None else raw.hex()
    for v in out["mac_prefix"]:
        v["prefix"] = HmacSha256.prefix(v["name"], int(v["fingerprint"], 16)).hex()
    for v in out["aad"]:
        v["aad"] = Aes256GcmSiv.aad(v["name"], int(v["fingerprint"], 16), bytes.fromhex(v["header"])).hex()
    for v in out["schema_hashes"]:
        ty = schemas.ty(v["type"])
        v.update(hash=hex64(ty.schema_hash()), max_len=ty.max_len())
    for v in out["fingerprints"]:
        s = schemas.session(v["session"])
        v.update(
            schema_hash=hex64(s.schema_hash()),
            fingerprint=hex64(s.fingerprint()),
            hint=f"{fingerprint_hint(s.fingerprint()):04x}",
            max_payload_len=s.max_payload_len(),
            max_cookie_len=codec.max_cookie_len(s),
        )
    steps = out["fingerprint_steps"]
    trace: list = []
    schemas.session(steps["session"]).fingerprint(trace)
    steps["steps"] = [{"op": op, "value": hex64(value)} for op, value in trace]
    for v in out["postcard"]:
        ty = schemas.ty(v["type"])
        data = bytearray()
        ty.encode(v["value"], data)
        v["bytes"] = data.hex()
    for v in out["cookies"]:
        s = schemas.session(v["session"])
        keys = Keys.from_secret(bytes.fromhex(v["secret"]))
        nonce = bytes.fromhex(v["nonce"]) if "nonce" in v else None
        v["payload"] = s.encode(v["value"]).hex()
        v["cookie"] = codec.write(s, keys, v["value"], v["created_ms"], v["issued_ms"], v["lifetime"], nonce)
        raw = b64url_decode_canonical(v["cookie"])
        envelope = envelope_of(s.encrypted)
        v["header"] = raw[:HEADER_LEN].hex()
        v["body"] = raw[HEADER_LEN + envelope.nonce_len : -envelope.tag_len].hex()
        v["tag"] = raw[-envelope.tag_len :].hex()
    for v in out["leaves"]:
        v["leaf"] = hex64(leaf(v["text"]))
    for v in out["chunk_sessions"]:
        s = schemas.session(v["session"])
        layout = chunks.Layout(s)
        counts = range(1, s.chunks + 1)
        v.update(
            fingerprint=hex64(s.fingerprint()),
            chunks=s.chunks,
            budget=s.budget,
            max_payload_len=s.max_payload_len(),
            first_capacity=[layout.first_capacity(c) for c in counts],
            later_capacity=layout.later_capacity(),
            capacity=[layout.capacity(c) for c in counts],
            max_envelope_len=layout.max_envelope_len(),
            max_cookie_len=codec.max_cookie_len(s),
            max_chunk_len=layout.max_chunk_len(),
            max_total_len=codec.max_total_len(s),
        )
    for v in out["chunked"]:
        s = schemas.session(v["session"])
        keys = Keys.from_secret(bytes.fromhex(v["secret"]))
        nonce = bytes.fromhex(v["nonce"]) if "nonce" in v else None
        written = chunks.write(s, keys, v["value"], v["created_ms"], v["issued_ms"], v["lifetime"], nonce)
        pieces = chunk_pieces(written.cookies)
        e = b"".join(pieces)
        layout = chunks.Layout(s)
        count = len(pieces)
        envelope = envelope_of(s.encrypted, chunked=True)
        v.update(
            payload_len=len(s.encode(v["value"])),
            envelope_len=len(e),
            count=count,
            # Bytes of `count` chunks left unused, and bytes beyond what
            # `count - 1` hold: slack 0 fills the chunks exactly, short 1 is
            # one byte over the boundary below.
            slack=layout.capacity(count) - len(e),
            short=len(e) - layout.capacity(count - 1) if count > 1 else None,
            pieces=[len(p) for p in pieces],
            hashes=[chunks.piece_hash(i, pieces[i]).hex() for i in range(1, count)],
            header=e[:HEADER_LEN].hex(),
            tag=e[-envelope.tag_len :].hex(),
            cookies=[list(c) for c in written.cookies],
        )
    return out


def chunk_pieces(cookies) -> list[bytes]:
    """The pieces of a chunk set written in index order (no checks: the
    vectors' own cookies)."""
    raws = [b64url_decode_canonical(value) for _, value in cookies]
    first = raws[0]
    return [first[chunks.framing_len(first[0]) :]] + raws[1:]


def decode_checks(doc: dict) -> list[str]:
    """The other direction, where the vectors allow it: postcard bytes decode
    to the value, and each cookie reads back."""
    schemas = Schemas(doc)
    failures = []
    for v in doc["postcard"]:
        r = Reader(bytes.fromhex(v["bytes"]))
        value = schemas.ty(v["type"]).decode(r)
        if not r.done() or json.dumps(value) != json.dumps(v["value"]):
            failures.append(f"postcard {v['rust']}: decodes to {value!r}")
    for v in doc["postcard_decode"]:
        r = Reader(bytes.fromhex(v["bytes"]))
        try:
            value = schemas.ty(v["type"]).decode(r)
            got = {"value": value} if r.done() else {"refused": True}
        except PayloadError:
            got = {"refused": True}
        want = {"refused": True} if v.get("refused") else {"value": v["value"]}
        if json.dumps(got) != json.dumps(want):
            failures.append(f"postcard_decode {v['rust']} {v['bytes']}: {got!r}")
    for v in doc["cookies"]:
        s = schemas.session(v["session"])
        keys = Keys.from_secret(bytes.fromhex(v["secret"]))
        policy = codec.Policy(now_ms=v["issued_ms"], lifetimes={v["lifetime"]: (86_400_000, 604_800_000)})
        try:
            opened = codec.read([s], v["cookie"].encode(), [keys], policy)
        except codec.Rejection as rejection:
            failures.append(f"cookie {v['cookie']}: refused as {rejection.kind}")
            continue
        if json.dumps(opened.value) != json.dumps(v["value"]):
            failures.append(f"cookie {v['cookie']}: reads as {opened.value!r}")
    for i, v in enumerate(doc["chunked"]):
        s = schemas.session(v["session"])
        keys = Keys.from_secret(bytes.fromhex(v["secret"]))
        policy = codec.Policy(now_ms=v["issued_ms"], lifetimes={v["lifetime"]: (86_400_000, 604_800_000)})
        try:
            opened = codec.read_request([s], [(n, c.encode()) for n, c in v["cookies"]], [keys], policy)
        except codec.Rejection as rejection:
            failures.append(f"chunked {i}: refused as {rejection.kind}")
            continue
        if opened is None or json.dumps(opened.value) != json.dumps(v["value"]):
            failures.append(f"chunked {i}: reads as {opened and opened.value!r}")
    return failures


def flatten(doc: dict, prefix: str = ""):
    """(path, leaf) pairs, to compare two vector documents."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from flatten(v, f"{prefix}/{k}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from flatten(v, f"{prefix}/{i}")
    else:
        yield prefix, doc


def check_vectors(doc: dict) -> tuple[int, list[str]]:
    """(checks passed, failures): every output recomputed, every decodable
    vector decoded."""
    expected = dict(flatten(doc))
    actual = dict(flatten(compute_vectors(doc)))
    failures = [
        f"{path}: vectors.json has {expected.get(path)!r}, computed {actual.get(path)!r}"
        for path in sorted(set(expected) | set(actual))
        if expected.get(path) != actual.get(path)
    ]
    failures += decode_checks(doc)
    decoded = len(doc["postcard"]) + len(doc["postcard_decode"]) + len(doc["cookies"]) + len(doc["chunked"])
    return len(expected) + decoded - len(failures), failures


def selftest(bless: bool) -> int:
    doc = json.loads(VECTORS.read_text())
    if bless:
        doc = compute_vectors(doc)
        VECTORS.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    passed, failures = check_vectors(doc)
    for failure in failures:
        print("FAIL", failure)
    print(f"vectors: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


# --- batch -----------------------------------------------------------------------


def read_one(schemas: Schemas, item: dict) -> dict:
    session = schemas.session(item["session"])
    keyring = [Keys.from_secret(bytes.fromhex(s)) for s in item["secrets"]]
    policy = codec.Policy(
        now_ms=item["now_ms"],
        skew_ms=item["skew_ms"],
        lifetimes=parse_lifetimes(item["lifetimes"]),
    )
    try:
        if "cookies" in item:
            # The request's cookies, (name, value) in header order.
            cookies = [(name, value.encode()) for name, value in item["cookies"]]
            opened = codec.read_request([session], cookies, keyring, policy)
            if opened is None:
                return {"id": item["id"], "ok": False, "missing": True}
        else:
            opened = codec.read([session], item["cookie"].encode(), keyring, policy)
    except codec.Rejection as rejection:
        answer = {"id": item["id"], "ok": False, "rejection": rejection.kind}
        if rejection.index is not None:
            answer["index"] = rejection.index
        return answer
    return {"id": item["id"], "ok": True, "header": opened.header.to_json(), "value": opened.value}


def write_one(schemas: Schemas, item: dict) -> dict:
    session = schemas.session(item["session"])
    keys = Keys.from_secret(bytes.fromhex(item["secret"]))
    f = item.get("forgery", {})
    forgery = codec.Forgery(
        name=f.get("name"),
        fingerprint=int(f["fingerprint"], 16) if "fingerprint" in f else None,
        key_id=bytes.fromhex(f["key_id"]) if "key_id" in f else None,
        hint=int(f["hint"], 16) if "hint" in f else None,
        format=int(f["format"], 16) if "format" in f else None,
    )
    nonce = bytes.fromhex(item["nonce"]) if "nonce" in item else None
    if session.chunks > 1:
        return write_chunked(session, keys, item, nonce, forgery)
    cookie = codec.write(
        session, keys, item["value"], item["created_ms"], item["issued_ms"], item["lifetime"], nonce, forgery
    )
    return {"id": item["id"], "cookie": cookie}


def write_chunked(session, keys: Keys, item: dict, nonce: bytes | None, forgery: codec.Forgery) -> dict:
    """The response of a chunked session: its chunks, and the names of the
    request's (`carried`) stale chunks to expire; `clear` writes none and
    expires them all; `split` cuts the envelope non-canonically."""
    carried = item.get("carried", [])
    if item.get("clear"):
        written = chunks.clear(session, carried)
    else:
        written = chunks.write(
            session,
            keys,
            item["value"],
            item["created_ms"],
            item["issued_ms"],
            item["lifetime"],
            nonce,
            forgery,
            carried,
            item.get("split"),
        )
    answer = {"id": item["id"], "cookies": [list(c) for c in written.cookies], "expire": written.expire}
    if "lifetimes" in item:
        policy = codec.Policy(now_ms=item["issued_ms"], lifetimes=parse_lifetimes(item["lifetimes"]))
        answer["set_cookies"] = written.set_cookies(policy)
    return answer


def parse_lifetimes(lifetimes: dict) -> dict:
    return {int(k): tuple(v) for k, v in lifetimes.items()}


def batch() -> int:
    request = json.load(sys.stdin)
    doc = json.loads(VECTORS.read_text())
    schemas = Schemas(doc)
    response: dict = {}
    if request.get("selftest"):
        passed, failures = check_vectors(doc)
        response["selftest"] = {"passed": passed, "failures": failures}
    if request.get("fingerprints"):
        response["fingerprints"] = {
            name: {
                "fingerprint": hex64(s.fingerprint()),
                "max_payload_len": s.max_payload_len(),
                "max_cookie_len": codec.max_cookie_len(s),
                "max_total_len": codec.max_total_len(s),
                "chunks": s.chunks,
            }
            for name, s in schemas.sessions.items()
        }
    response["read"] = [read_one(schemas, item) for item in request.get("read", [])]
    response["write"] = [write_one(schemas, item) for item in request.get("write", [])]
    json.dump(response, sys.stdout)
    return 0


def main(argv: list[str]) -> int:
    if argv[1:2] == ["selftest"]:
        return selftest(bless="--bless" in argv[2:])
    if argv[1:2] == ["batch"]:
        return batch()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
