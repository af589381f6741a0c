"""Reading and writing one session cookie value, in the decode order of
docs/wire-format.md ("Decode order", steps 1-9; step 10, revocation, is the
application's)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .envelopes import envelope_of
from .postcard import PayloadError
from .primitives import (
    HEADER_LEN,
    Header,
    Keys,
    b64url_decode_canonical,
    b64url_encode,
    b64url_len,
    fingerprint_hint,
    from_wire_secs,
    to_wire_secs,
)
from .schema import Session

BROWSER_COOKIE_LIMIT = 4096


class Rejection(Exception):
    """Why a cookie was refused; `kind` is the reason's name in the document."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def max_cookie_len(session: Session) -> int:
    """len(NAME) + ceil(4 * (overhead + MAX_PAYLOAD_LEN) / 3)."""
    envelope = envelope_of(session.encrypted)
    return len(session.cookie) + b64url_len(envelope.overhead + session.max_payload_len())


@dataclass
class Policy:
    """What the verifier is configured with: its clock, the allowed clock
    skew, and the (idle, absolute) timeouts of each declared lifetime byte,
    all in milliseconds."""

    now_ms: int
    skew_ms: int = 60_000
    lifetimes: dict = field(default_factory=dict)


@dataclass
class Opened:
    header: Header
    session: Session
    value: object
    key_index: int


def read(chain: list[Session], value: bytes, keyring: list[Keys], policy: Policy, mac_budget: int = 20) -> Opened:
    """`chain`: the current session type first, then the older versions it
    migrates from (same cookie name and mode). `keyring`: every configured
    key. Raises Rejection."""
    current = chain[0]
    envelope = envelope_of(current.encrypted)
    name = current.cookie
    # 1. Length cap, before any decoding.
    max_len = min(BROWSER_COOKIE_LIMIT, max(max_cookie_len(s) for s in chain)) - len(name)
    if len(value) > max_len:
        raise Rejection("too_long", f"{len(value)} > {max_len}")
    # 2. Canonical base64url.
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        raise Rejection("not_base64") from None
    raw = b64url_decode_canonical(text)
    if raw is None:
        raise Rejection("not_base64")
    # 3. Length, then the format byte.
    if len(raw) < envelope.overhead:
        raise Rejection("truncated", f"{len(raw)} bytes")
    header = Header.parse(raw[:HEADER_LEN])
    if header.format != envelope.format:
        raise Rejection("unknown_format", f"0x{header.format:02x}")
    # 4. Key lookup.
    candidates = [(i, k) for i, k in enumerate(keyring) if k.key_id == header.key_id]
    if not candidates:
        raise Rejection("unknown_key", header.key_id.hex())
    # 5. Version.
    by_version = {s.version: s for s in chain}
    session = by_version.get(header.version)
    if session is None:
        raise Rejection("wrong_version", str(header.version))
    fingerprint = session.fingerprint()
    # 6. MAC (or AEAD) with every key of that id, within the budget.
    payload = None
    key_index = -1
    for i, keys in candidates[:mac_budget]:
        payload = envelope.open(keys, name, fingerprint, raw)
        if payload is not None:
            key_index = i
            break
    if payload is None:
        if header.hint != fingerprint_hint(fingerprint):
            raise Rejection("schema_mismatch")
        raise Rejection("bad_signature")
    # 7. Lifetime.
    timeouts = policy.lifetimes.get(header.lifetime)
    if timeouts is None:
        raise Rejection("unknown_lifetime", str(header.lifetime))
    idle_ms, absolute_ms = timeouts
    # 8. Time, in milliseconds: the wire's whole seconds against the clock.
    created_ms = from_wire_secs(header.created)
    issued_ms = from_wire_secs(header.issued)
    now = policy.now_ms
    if issued_ms > now + policy.skew_ms:
        raise Rejection("issued_in_future")
    if created_ms > issued_ms:
        raise Rejection("inconsistent_timestamps")
    if max(now - created_ms, 0) > absolute_ms:
        raise Rejection("absolute_expired")
    if max(now - issued_ms, 0) > idle_ms:
        raise Rejection("idle_expired")
    # 9. Payload: exactly one value of the version's schema.
    try:
        decoded = session.decode(payload)
    except PayloadError as err:
        raise Rejection("payload", str(err)) from None
    return Opened(header, session, decoded, key_index)


@dataclass
class Forgery:
    """Deliberate deviations from a genuine cookie, for negative tests."""

    name: str | None = None  # bind another cookie name
    fingerprint: int | None = None  # bind another fingerprint
    key_id: bytes | None = None  # write another key id in the header
    hint: int | None = None  # write another fingerprint hint


def write(
    session: Session,
    keys: Keys,
    value,
    created_ms: int,
    issued_ms: int,
    lifetime: int,
    nonce: bytes | None = None,
    forgery: Forgery | None = None,
) -> str:
    """A cookie value for `value` (JSON form), sealed with `keys`."""
    forgery = forgery or Forgery()
    envelope = envelope_of(session.encrypted)
    fingerprint = session.fingerprint() if forgery.fingerprint is None else forgery.fingerprint
    header = Header(
        format=envelope.format,
        key_id=keys.key_id if forgery.key_id is None else forgery.key_id,
        version=session.version,
        hint=fingerprint_hint(session.fingerprint()) if forgery.hint is None else forgery.hint,
        created=to_wire_secs(created_ms),
        issued=to_wire_secs(issued_ms),
        lifetime=lifetime,
    ).to_bytes()
    payload = session.encode(value)
    name = session.cookie if forgery.name is None else forgery.name
    raw = envelope.seal(keys, name, fingerprint, header, payload, nonce)
    return b64url_encode(raw)
