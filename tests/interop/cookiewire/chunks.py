"""Chunked sessions (docs/wire-format.md, "Chunked sessions"): one envelope
spread over the cookies `NAME`, `NAME.1`, ..., `NAME.(N-1)`, with the
canonical split, the piece hashes in chunk 0, the reading order (steps 1-4,
then the envelope's decode order) and the writing rules (which stale chunks
to expire).

    chunk 0 value = base64url( count[1] || hash_1 || ... || hash_(count-1) || piece_0 )
    chunk i value = base64url( piece_i )                          1 <= i < count
    E             = piece_0 || piece_1 || ... || piece_(count-1)
    hash_i        = SHA-256("session-runtime/v2/chunk\\0" || u8(i) || piece_i)[0..16]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .codec import (
    MAX_CANDIDATE_COOKIES,
    Forgery,
    Policy,
    Rejection,
    decode_value,
    max_age,
    seal,
    set_cookie,
)
from .envelopes import envelope_of
from .primitives import HEADER_LEN, Header, Keys, b64url_encode, b64url_len
from .schema import Session

CHUNK_DOMAIN = b"session-runtime/v2/chunk\0"
HASH_LEN = 16


def cap(chars: int) -> int:
    """The raw bytes that fit in `chars` base64url characters:
    floor(c / 4) * 3 + [0, 0, 1, 2][c mod 4]."""
    return chars // 4 * 3 + (0, 0, 1, 2)[chars % 4]


def chunk_name(name: str, index: int) -> str:
    return name if index == 0 else f"{name}.{index}"


def piece_hash(index: int, piece: bytes) -> bytes:
    """hash_i = SHA-256(domain || u8(i) || piece_i)[0..16]."""
    return hashlib.sha256(CHUNK_DOMAIN + bytes([index]) + piece).digest()[:HASH_LEN]


def framing_len(count: int) -> int:
    """count[1] || hash_1 || ... || hash_(count-1)."""
    return 1 + HASH_LEN * (count - 1)


class Layout:
    """The capacities of a chunked session type: they follow from its budget
    B, its name and N alone ("The split is canonical")."""

    def __init__(self, session: Session):
        self.session = session
        self.name = session.cookie
        self.chunks = session.chunks
        self.budget = session.budget
        # The value of chunk 0 is within B - len(NAME) characters; a later
        # chunk's name is 2 bytes longer (".i", i <= 8).
        self.first_chars = self.budget - len(self.name)
        self.later_chars = self.budget - len(self.name) - 2

    def first_capacity(self, count: int) -> int:
        """Bytes of E in chunk 0 when there are `count` chunks."""
        return cap(self.first_chars) - framing_len(count)

    def later_capacity(self) -> int:
        return cap(self.later_chars)

    def capacity(self, count: int) -> int:
        """Bytes of E that `count` chunks hold."""
        return self.first_capacity(count) + (count - 1) * self.later_capacity()

    def split(self, total: int) -> list[int] | None:
        """The piece lengths of an envelope of `total` bytes: the smallest
        count (at most N) whose capacities add up to it, each chunk filled to
        its capacity before the next starts. None when N chunks are too few."""
        for count in range(1, self.chunks + 1):
            if self.first_capacity(count) < 0:
                break  # the framing alone fills chunk 0
            if self.capacity(count) >= total:
                lengths = []
                left = total
                for index in range(count):
                    size = min(left, self.first_capacity(count) if index == 0 else self.later_capacity())
                    lengths.append(size)
                    left -= size
                return lengths
        return None

    def max_envelope_len(self) -> int:
        return envelope_of(self.session.encrypted, chunked=True).overhead + self.session.max_payload_len()

    def cookie_lens(self, total: int) -> list[int]:
        """len(name) + len(value) of each chunk of an envelope of `total` bytes."""
        lengths = self.split(total)
        if lengths is None:
            raise ValueError(f"an envelope of {total} bytes does not fit {self.chunks} chunks")
        count = len(lengths)
        return [
            len(chunk_name(self.name, i)) + b64url_len(size + (framing_len(count) if i == 0 else 0))
            for i, size in enumerate(lengths)
        ]

    def max_cookie_len(self) -> int:
        """`MAX_COOKIE_LEN`: "the largest single cookie of the largest
        envelope's set". Usually chunk 0; when B - len(NAME) is 1 more than
        a multiple of 4, a full chunk 0 is 1 byte short of the budget and a
        full later chunk is not ("Chunked sessions", "Size")."""
        return self.max_chunk_len()

    def max_chunk_len(self) -> int:
        """The longest chunk of the largest envelope (no smaller envelope
        has a longer one)."""
        return max(self.cookie_lens(self.max_envelope_len()))

    def max_total_len(self) -> int:
        """The sum over the chunks of the largest envelope (the sum grows
        with the envelope: a new chunk moves 16 bytes of piece for a hash)."""
        return sum(self.cookie_lens(self.max_envelope_len()))


# --- reading ------------------------------------------------------------------------


class LaterChunks:
    """The request's cookies `NAME.i`: the first 32 of each name, each
    decoded and hashed at most once per request, whatever the number of
    candidates (step 3)."""

    def __init__(self, session: Session, cookies: list[tuple[str, bytes]]):
        self.session = session
        self.layout = Layout(session)
        self.cookies = cookies
        self.pieces: dict[int, list[tuple[bytes, bytes]]] = {}

    def find(self, index: int, digest: bytes) -> bytes | None:
        """The piece of the first cookie named NAME.index, within the length
        cap and canonical, that hashes to `digest`."""
        if index not in self.pieces:
            name = chunk_name(self.session.cookie, index)
            readable = []
            for value in [v for n, v in self.cookies if n == name][:MAX_CANDIDATE_COOKIES]:
                if len(value) > self.layout.later_chars:
                    continue
                try:
                    piece = decode_value(value)
                except Rejection:
                    continue
                readable.append((piece_hash(index, piece), piece))
            self.pieces[index] = readable
        for hashed, piece in self.pieces[index]:
            if hashed == digest:
                return piece
        return None


def assemble(session: Session, value: bytes, later: LaterChunks) -> bytes:
    """Steps 1 to 4 of reading one candidate (a cookie named NAME): E, or
    the Rejection."""
    layout = later.layout
    # 1. Length cap B - len(NAME), then canonical base64url.
    if len(value) > layout.first_chars:
        raise Rejection("too_long", f"{len(value)} > {layout.first_chars}")
    raw = decode_value(value)
    # 2. Framing: a count from 1 to N, and its hashes.
    if not raw or not 1 <= raw[0] <= session.chunks:
        raise Rejection("chunk_framing", "count")
    count = raw[0]
    if len(raw) < framing_len(count):
        raise Rejection("chunk_framing", "hashes")
    pieces = [raw[framing_len(count) :]]
    # 3. Each later piece: the first cookie of its name whose hash matches.
    for index in range(1, count):
        at = 1 + HASH_LEN * (index - 1)
        piece = later.find(index, raw[at : at + HASH_LEN])
        if piece is None:
            raise Rejection("chunk_missing", f"chunk {index}", index=index)
        pieces.append(piece)
    # 4. The canonical split of their total length, and no other.
    if layout.split(sum(map(len, pieces))) != [len(p) for p in pieces]:
        raise Rejection("chunk_layout", str([len(p) for p in pieces]))
    # 5. (the caller) steps 3-10 of the decode order on E.
    return b"".join(pieces)


# --- writing --------------------------------------------------------------------------


@dataclass
class Written:
    """What a response sends for a chunked session: the chunks it uses, as
    (name, value) in index order, and the names to expire."""

    cookies: list[tuple[str, str]]
    expire: list[str]
    header: Header | None  # of the envelope, None after clear()

    def set_cookies(self, policy: Policy) -> list[str]:
        """The chunks' `Set-Cookie`s, all with the same attributes (the
        expiring ones are not specified byte for byte: see `expire`)."""
        age = max_age(self.header, policy) if self.header else None
        return [set_cookie(name, value, age) for name, value in self.cookies]


def chunk_index(session: Session, name: str) -> int | None:
    """i when `name` is NAME.i of this session (1 <= i < N), else None; 0 for NAME."""
    if name == session.cookie:
        return 0
    for index in range(1, session.chunks):
        if name == chunk_name(session.cookie, index):
            return index
    return None


def stale(session: Session, carried: list[str], used: int) -> list[str]:
    """The chunk names to expire: every later chunk (index >= used, >= 1)
    the request carried; with `used` = 0 (clear) every chunk, NAME included.
    Each once, in index order."""
    indices = {chunk_index(session, name) for name in carried} - {None}
    return [chunk_name(session.cookie, i) for i in sorted(indices) if i >= used]


def frame(pieces: list[bytes]) -> list[str]:
    """The chunk values of the pieces: chunk 0 with the count and hashes."""
    count = len(pieces)
    hashes = b"".join(piece_hash(i, pieces[i]) for i in range(1, count))
    first = bytes([count]) + hashes + pieces[0]
    return [b64url_encode(first)] + [b64url_encode(p) for p in pieces[1:]]


def write(
    session: Session,
    keys: Keys,
    value,
    created_ms: int,
    issued_ms: int,
    lifetime: int,
    nonce: bytes | None = None,
    forgery: Forgery | None = None,
    carried: list[str] = (),
    split: list[int] | None = None,
) -> Written:
    """The chunk cookies of `value` (JSON form) sealed with `keys`, and the
    stale chunks of `carried` (the names of the request's cookies) to expire.
    `split` (a forgery) cuts E into pieces of these lengths instead of the
    canonical split."""
    envelope = envelope_of(session.encrypted, chunked=True)
    e = seal(session, envelope, keys, value, created_ms, issued_ms, lifetime, nonce, forgery)
    lengths = Layout(session).split(len(e)) if split is None else split
    if lengths is None or sum(lengths) != len(e):
        raise ValueError(f"no split of {len(e)} bytes into {lengths}")
    pieces = []
    at = 0
    for size in lengths:
        pieces.append(e[at : at + size])
        at += size
    names = [chunk_name(session.cookie, i) for i in range(len(pieces))]
    return Written(
        cookies=list(zip(names, frame(pieces))),
        expire=stale(session, list(carried), len(pieces)),
        header=Header.parse(e[:HEADER_LEN]),
    )


def clear(session: Session, carried: list[str]) -> Written:
    """Clearing a session expires NAME (always, as for a one-cookie
    session) and every later chunk the request carried."""
    return Written(cookies=[], expire=stale(session, [session.cookie, *carried], 0), header=None)
