"""Envelope kinds (docs/wire-format.md, "TAG" and "Encrypted mode"): how a
header and a payload become the bytes inside one cookie value, and back.

An envelope kind is one class with a format byte; `ENVELOPES` maps the
session's mode to it. The envelope of a chunked session is the same bytes
with its own format byte; how it is spread over several cookie values is
`chunks.py`'s.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from .primitives import HEADER_LEN, Keys, pad64

MAC_DOMAIN = b"session-runtime/v2/cookie\0"
AEAD_DOMAIN = b"session-runtime/v2/cookie-aead\0"


def binding(domain: bytes, name: str, fingerprint: int) -> bytes:
    """domain || u16be(len(NAME)) || NAME || u64be(FINGERPRINT)."""
    data = name.encode("ascii")
    return domain + struct.pack(">H", len(data)) + data + struct.pack(">Q", fingerprint)


class Envelope:
    """header || nonce || body || tag."""

    format: int
    nonce_len: int
    tag_len: int

    @property
    def overhead(self) -> int:
        return HEADER_LEN + self.nonce_len + self.tag_len

    def seal(
        self, keys: Keys, name: str, fingerprint: int, header: bytes, payload: bytes, nonce: bytes | None
    ) -> bytes:
        """header || nonce || body || tag; `nonce` for kinds that carry one."""
        raise NotImplementedError

    def open(self, keys: Keys, name: str, fingerprint: int, raw: bytes) -> bytes | None:
        """The payload of an authentic envelope (at least `overhead` bytes), else None."""
        raise NotImplementedError


class HmacSha256(Envelope):
    """Signed: TAG = HMAC-SHA256(mac_key, PREFIX || HEADER || PAYLOAD)[0..16]."""

    format = 0x03
    nonce_len = 0
    tag_len = 16

    @staticmethod
    def prefix(name: str, fingerprint: int) -> bytes:
        return pad64(binding(MAC_DOMAIN, name, fingerprint))

    def tag(self, keys: Keys, name: str, fingerprint: int, signed: bytes) -> bytes:
        mac = hmac.new(keys.mac_key, self.prefix(name, fingerprint) + signed, hashlib.sha256)
        return mac.digest()[: self.tag_len]

    def seal(self, keys, name, fingerprint, header, payload, nonce):
        signed = header + payload
        return signed + self.tag(keys, name, fingerprint, signed)

    def open(self, keys, name, fingerprint, raw):
        signed, tag = raw[: -self.tag_len], raw[-self.tag_len :]
        if not hmac.compare_digest(self.tag(keys, name, fingerprint, signed), tag):
            return None
        return signed[HEADER_LEN:]


class Aes256GcmSiv(Envelope):
    """Encrypted: AES-256-GCM-SIV (RFC 8452) under aead_key, a 12-byte nonce,
    aad = AEAD_DOMAIN || u16be(len(NAME)) || NAME || u64be(FINGERPRINT) || HEADER."""

    format = 0x04
    nonce_len = 12
    tag_len = 16

    @staticmethod
    def aad(name: str, fingerprint: int, header: bytes) -> bytes:
        return binding(AEAD_DOMAIN, name, fingerprint) + header

    @staticmethod
    def _cipher(keys: Keys):
        # Imported here: the signed mode needs only the standard library.
        from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

        return AESGCMSIV(keys.aead_key)

    def seal(self, keys, name, fingerprint, header, payload, nonce):
        if nonce is None or len(nonce) != self.nonce_len:
            raise ValueError("an encrypted cookie needs a 12-byte nonce")
        # The library returns CIPHERTEXT || TAG, the order the cookie uses.
        sealed = self._cipher(keys).encrypt(nonce, payload, self.aad(name, fingerprint, header))
        return header + nonce + sealed

    def open(self, keys, name, fingerprint, raw):
        from cryptography.exceptions import InvalidTag

        header = raw[:HEADER_LEN]
        nonce = raw[HEADER_LEN : HEADER_LEN + self.nonce_len]
        sealed = raw[HEADER_LEN + self.nonce_len :]
        try:
            return self._cipher(keys).decrypt(nonce, sealed, self.aad(name, fingerprint, header))
        except InvalidTag:
            return None


class ChunkedHmacSha256(HmacSha256):
    """The signed envelope of a chunked session ("Chunked sessions"): the
    same header, payload and tag, format byte 0x05, so it is never read as a
    one-cookie envelope or the other way round."""

    format = 0x05


class ChunkedAes256GcmSiv(Aes256GcmSiv):
    """The encrypted envelope of a chunked session: format byte 0x06."""

    format = 0x06


ENVELOPES = {
    "signed": HmacSha256(),
    "encrypted": Aes256GcmSiv(),
    "signed-chunked": ChunkedHmacSha256(),
    "encrypted-chunked": ChunkedAes256GcmSiv(),
}


def envelope_of(encrypted: bool, chunked: bool = False) -> Envelope:
    return ENVELOPES[("encrypted" if encrypted else "signed") + ("-chunked" if chunked else "")]
