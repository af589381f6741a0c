"""Byte-level building blocks of docs/wire-format.md: base64url, times,
HKDF-SHA256 subkeys and key ids, the 16-byte header.

Standard library only. Every constant here is copied from the document, not
from the Rust sources.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

# --- "Keys and key ids" -------------------------------------------------------

HKDF_SALT = b"session-runtime/v2/hkdf-salt"
INFO_MAC = b"session-runtime/v2/cookie-mac/hmac-sha256"
INFO_AEAD = b"session-runtime/v2/cookie-aead/aes-256-gcm-siv"
INFO_KEY_ID = b"session-runtime/v2/key-id"
MIN_SECRET_LEN = 32


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF with SHA-256: extract, then expand to `length` bytes."""
    if length > 255 * 32:
        raise ValueError("HKDF-SHA256 output is at most 8160 bytes")
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True)
class Keys:
    """The subkeys of one secret."""

    key_id: bytes  # 2 bytes
    mac_key: bytes  # 32 bytes, HMAC-SHA-256
    aead_key: bytes  # 32 bytes, AES-256-GCM-SIV

    @staticmethod
    def from_secret(secret: bytes) -> "Keys":
        if len(secret) < MIN_SECRET_LEN:
            raise ValueError(f"a secret has at least {MIN_SECRET_LEN} bytes")
        return Keys(
            key_id=hkdf_sha256(HKDF_SALT, secret, INFO_KEY_ID, 4)[:2],
            mac_key=hkdf_sha256(HKDF_SALT, secret, INFO_MAC, 32),
            aead_key=hkdf_sha256(HKDF_SALT, secret, INFO_AEAD, 32),
        )


# --- "Cookie value": canonical base64url ---------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SEXTET = {c: i for i, c in enumerate(ALPHABET)}


def b64url_encode(raw: bytes) -> str:
    """RFC 4648 section 5 alphabet, no '=' padding."""
    out = []
    for i in range(0, len(raw), 3):
        group = raw[i : i + 3]
        n = int.from_bytes(group + b"\0" * (3 - len(group)), "big")
        chars = [ALPHABET[(n >> shift) & 63] for shift in (18, 12, 6, 0)]
        out.append("".join(chars[: len(group) + 1]))
    return "".join(out)


def b64url_decode_canonical(text: str) -> bytes | None:
    """The one accepted spelling: alphabet only, no padding, no dangling
    1-character group, unused trailing bits zero. None otherwise."""
    if len(text) % 4 == 1:
        return None
    acc = 0
    bits = 0
    out = bytearray()
    for c in text:
        sextet = _SEXTET.get(c)
        if sextet is None:
            return None
        acc = (acc << 6) | sextet
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
            acc &= (1 << bits) - 1
    if acc != 0:
        return None
    return bytes(out)


def b64url_len(n: int) -> int:
    """Characters of the unpadded encoding of n bytes: ceil(4n / 3)."""
    return (4 * n + 2) // 3


# --- "Times" -------------------------------------------------------------------

EPOCH_UNIX_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
U32_MAX = 0xFFFF_FFFF


def to_wire_secs(unix_ms: int) -> int:
    """Floor to whole seconds since the epoch; 0 before it, 2^32-1 after 2161."""
    return min(max(unix_ms - EPOCH_UNIX_MS, 0) // 1000, U32_MAX)


def from_wire_secs(secs: int) -> int:
    return EPOCH_UNIX_MS + secs * 1000


# --- "HEADER" ------------------------------------------------------------------

HEADER_LEN = 16
LIFETIMES = {0: "standard", 1: "browser_session", 2: "remember_me"}


@dataclass(frozen=True)
class Header:
    format: int
    key_id: bytes
    version: int
    hint: int
    created: int  # wire seconds
    issued: int  # wire seconds
    lifetime: int  # the low 2 bits of the last byte
    start_seq: int = 0  # the high 6 bits of the last byte

    def to_bytes(self) -> bytes:
        return (
            bytes([self.format])
            + self.key_id
            + struct.pack(">HHII", self.version, self.hint, self.created, self.issued)
            + bytes([(self.start_seq << 2) | self.lifetime])
        )

    @staticmethod
    def parse(raw: bytes) -> "Header":
        version, hint, created, issued = struct.unpack(">HHII", raw[3:15])
        return Header(
            raw[0], bytes(raw[1:3]), version, hint, created, issued, raw[15] & 0x03, raw[15] >> 2
        )

    def to_json(self) -> dict:
        return {
            "format": self.format,
            "key_id": self.key_id.hex(),
            "version": self.version,
            "hint": f"{self.hint:04x}",
            "created": self.created,
            "issued": self.issued,
            "lifetime": self.lifetime,
            "start_seq": self.start_seq,
        }


def fingerprint_hint(fingerprint: int) -> int:
    """The top 16 bits of the 64-bit fingerprint."""
    return fingerprint >> 48


def pad64(data: bytes) -> bytes:
    """Zero bytes up to the next multiple of 64; nothing when already one."""
    return data + b"\0" * (-len(data) % 64)
