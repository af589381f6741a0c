"""Reading and writing one session cookie value, in the decode order of
docs/wire-format.md ("Decode order", steps 1-9; step 10, revocation, is the
application's), and reading the session of a whole request: several cookies
of one name ("Several cookies of one name"), or a chunked session's cookies
(whose framing is `chunks.py`'s)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .envelopes import Envelope, envelope_of
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
    """Why a cookie was refused; `kind` is the reason's name in the document
    (`Rejection::kind()`); `index` is the chunk of `chunk_missing`."""

    def __init__(self, kind: str, detail: str = "", index: int | None = None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.index = index


def max_cookie_len(session: Session) -> int:
    """len(NAME) + ceil(4 * (overhead + MAX_PAYLOAD_LEN) / 3); for a chunked
    session the largest chunk of its largest envelope ("Chunked sessions",
    "Size")."""
    if session.chunks > 1:
        from .chunks import Layout

        return Layout(session).max_cookie_len()
    envelope = envelope_of(session.encrypted)
    return len(session.cookie) + b64url_len(envelope.overhead + session.max_payload_len())


def max_total_len(session: Session) -> int:
    """The sum of len(name) + len(value) over the cookies of the largest
    envelope: the one cookie, or every chunk."""
    if session.chunks > 1:
        from .chunks import Layout

        return Layout(session).max_total_len()
    return max_cookie_len(session)


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
    raw = read_value(chain, value)
    located = locate(chain, raw, keyring, envelope_of(chain[0].encrypted))
    return check(verify(located, mac_budget), policy)


def read_value(chain: list[Session], value: bytes) -> bytes:
    """Steps 1 and 2: the length cap, then canonical base64url."""
    name = chain[0].cookie
    # 1. Length cap, before any decoding.
    max_len = min(BROWSER_COOKIE_LIMIT, max(max_cookie_len(s) for s in chain)) - len(name)
    if len(value) > max_len:
        raise Rejection("too_long", f"{len(value)} > {max_len}")
    # 2. Canonical base64url.
    return decode_value(value)


def decode_value(value: bytes) -> bytes:
    """Canonical base64url of a cookie value, or NotBase64."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        raise Rejection("not_base64") from None
    raw = b64url_decode_canonical(text)
    if raw is None:
        raise Rejection("not_base64")
    return raw


@dataclass
class Located:
    """An envelope through steps 3 to 5: what the MAC check needs."""

    raw: bytes
    header: Header
    session: Session
    envelope: Envelope
    keys: list  # (index in the keyring, Keys) of the header's key id


def locate(chain: list[Session], raw: bytes, keyring: list[Keys], envelope: Envelope) -> Located:
    """Steps 3 to 5 of the decode order, on the envelope's bytes: no MAC yet."""
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
    return Located(raw, header, session, envelope, candidates)


@dataclass
class Authentic:
    """An envelope whose MAC (or AEAD tag) verified: step 6 passed."""

    header: Header
    session: Session
    payload: bytes
    key_index: int


def verify(located: Located, mac_budget: int = 20) -> Authentic:
    """Step 6: the MAC (or AEAD) with every key of that id, within the budget."""
    session = located.session
    fingerprint = session.fingerprint()
    payload = None
    key_index = -1
    for i, keys in located.keys[:mac_budget]:
        payload = located.envelope.open(keys, session.cookie, fingerprint, located.raw)
        if payload is not None:
            key_index = i
            break
    if payload is None:
        if located.header.hint != fingerprint_hint(fingerprint):
            raise Rejection("schema_mismatch")
        raise Rejection("bad_signature")
    return Authentic(located.header, session, payload, key_index)


def check(authentic: Authentic, policy: Policy) -> Opened:
    """Steps 7 to 9, on an authentic envelope."""
    header = authentic.header
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
        decoded = authentic.session.decode(authentic.payload)
    except PayloadError as err:
        raise Rejection("payload", str(err)) from None
    return Opened(header, authentic.session, decoded, authentic.key_index)


# "Several cookies of one name": candidates examined and MAC checks per request.
MAX_CANDIDATE_COOKIES = 32
MAX_VERIFIED_CANDIDATES = 20


def read_request(
    chain: list[Session], cookies: list[tuple[str, bytes]], keyring: list[Keys], policy: Policy
) -> Opened | None:
    """The session of a request, from its cookies as (name, value) in header
    order, several of one name allowed ("Several cookies of one name", and
    "Chunked sessions" for a chunked type). None when no cookie has the
    session's name (a fresh session, nothing refused); raises the Rejection
    that decides otherwise."""
    from . import chunks  # chunks builds on this module

    current = chain[0]
    name = current.cookie
    candidates = [value for n, value in cookies if n == name][:MAX_CANDIDATE_COOKIES]
    if not candidates:
        return None
    if current.chunks > 1:
        later = chunks.LaterChunks(current, cookies)
        envelope = envelope_of(current.encrypted, chunked=True)

        def envelope_bytes(value: bytes) -> bytes:
            return chunks.assemble(current, value, later)

    else:
        envelope = envelope_of(current.encrypted)

        def envelope_bytes(value: bytes) -> bytes:
            return read_value(chain, value)

    first: Rejection | None = None
    authentic: list[tuple[int, Authentic]] = []
    macs = 0
    for position, value in enumerate(candidates):
        try:
            located = locate(chain, envelope_bytes(value), keyring, envelope)
            if macs == MAX_VERIFIED_CANDIDATES:
                continue  # skipped without a reason
            macs += 1
            authentic.append((position, verify(located, mac_budget=1)))
        except Rejection as rejection:
            if position == 0:
                first = rejection
    if not authentic:
        assert first is not None  # the first candidate is never skipped
        raise first

    # The one that started last decides: the highest (created, start_seq),
    # then the highest issued, then the earlier in the header.
    def rank(entry: tuple[int, Authentic]):
        position, a = entry
        return (a.header.created, a.header.start_seq, a.header.issued, -position)

    return check(max(authentic, key=rank)[1], policy)


@dataclass
class Forgery:
    """Deliberate deviations from a genuine cookie, for negative tests."""

    name: str | None = None  # bind another cookie name
    fingerprint: int | None = None  # bind another fingerprint
    key_id: bytes | None = None  # write another key id in the header
    hint: int | None = None  # write another fingerprint hint
    format: int | None = None  # write another format byte


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
    envelope = envelope_of(session.encrypted)
    return b64url_encode(seal(session, envelope, keys, value, created_ms, issued_ms, lifetime, nonce, forgery))


def seal(
    session: Session,
    envelope: Envelope,
    keys: Keys,
    value,
    created_ms: int,
    issued_ms: int,
    lifetime: int,
    nonce: bytes | None = None,
    forgery: Forgery | None = None,
) -> bytes:
    """The envelope's bytes for `value` (JSON form), sealed with `keys`."""
    forgery = forgery or Forgery()
    fingerprint = session.fingerprint() if forgery.fingerprint is None else forgery.fingerprint
    header = Header(
        format=envelope.format if forgery.format is None else forgery.format,
        key_id=keys.key_id if forgery.key_id is None else forgery.key_id,
        version=session.version,
        hint=fingerprint_hint(session.fingerprint()) if forgery.hint is None else forgery.hint,
        created=to_wire_secs(created_ms),
        issued=to_wire_secs(issued_ms),
        lifetime=lifetime,
    ).to_bytes()
    payload = session.encode(value)
    name = session.cookie if forgery.name is None else forgery.name
    return envelope.seal(keys, name, fingerprint, header, payload, nonce)


def max_age(header: Header, policy: Policy) -> int | None:
    """The `Max-Age` of a cookie with this header ("Lifetimes"): none for a
    browser-session cookie, else floor(min(idle, created + absolute - issued)
    / 1000) from the header's times, at least 0."""
    if header.lifetime == 1:
        return None
    idle_ms, absolute_ms = policy.lifetimes[header.lifetime]
    created_ms = from_wire_secs(header.created)
    issued_ms = from_wire_secs(header.issued)
    return max(min(idle_ms, created_ms + absolute_ms - issued_ms) // 1000, 0)


def set_cookie(name: str, value: str, age: int | None) -> str:
    """The `Set-Cookie` of section "Cookie value", with the default attributes."""
    age_attribute = "" if age is None else f"; Max-Age={age}"
    return f"{name}={value}{age_attribute}; Path=/; Secure; HttpOnly; SameSite=Lax"
