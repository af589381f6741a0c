"""The postcard 1.0 primitives docs/wire-format.md ("PAYLOAD") describes:
LEB128 varints with the decoder's length limits, zig-zag, and a reader that
refuses to run past the end."""

from __future__ import annotations


class PayloadError(Exception):
    """The payload does not decode as the schema (reason `payload`)."""


def varint(n: int) -> bytes:
    """Minimal unsigned LEB128: 7 bits per byte, least significant first."""
    if n < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def varint_len(n: int) -> int:
    return len(varint(n))


def varint_max(bits: int) -> int:
    """Longest varint of a `bits`-bit integer: ceil(bits / 7)."""
    return -(-bits // 7)


def zigzag(n: int) -> int:
    """Signed to unsigned: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ..."""
    return 2 * n if n >= 0 else -2 * n - 1


def unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.at:
            raise PayloadError("unexpected end of payload")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def varint(self, bits: int) -> int:
        """At most ceil(bits/7) bytes; the last possible byte may only carry
        the bits the type has left. Non-minimal encodings are accepted."""
        limit = varint_max(bits)
        out = 0
        for i in range(limit):
            b = self.byte()
            out |= (b & 0x7F) << (7 * i)
            if b & 0x80 == 0:
                if i == limit - 1 and b > (1 << (bits % 7)) - 1:
                    raise PayloadError(f"varint overflows {bits} bits")
                return out
        raise PayloadError(f"varint longer than {limit} bytes")

    def done(self) -> bool:
        return self.at == len(self.data)
