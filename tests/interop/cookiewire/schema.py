"""Type descriptors (docs/wire-format.md, "Schema fingerprint"): for each
type, its schema hash, its largest postcard encoding, and its postcard
encoding and decoding.

Values travel to and from the test harness as JSON in serde_json's
representation of the Rust value (tests/interop/README.md); that
representation is a convention of the harness, not part of the wire format.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .postcard import PayloadError, Reader, unzigzag, varint, varint_len, varint_max, zigzag

# --- the hash ("Schema fingerprint": mix, mix_u64, leaf) -----------------------

SEED = 0xCBF29CE484222325  # FNV-1a 64 offset basis
PRIME = 0x00000100000001B3  # FNV-1a 64 prime
MASK = (1 << 64) - 1


def mix(h: int, data: bytes) -> int:
    """FNV-1a 64 over `data`, then the terminator byte 0xff."""
    for b in data:
        h = ((h ^ b) * PRIME) & MASK
    return ((h ^ 0xFF) * PRIME) & MASK


def mix_u64(h: int, value: int) -> int:
    return mix(h, (value & MASK).to_bytes(8, "little"))


def leaf(name: str) -> int:
    return mix(SEED, name.encode())


# --- descriptors -----------------------------------------------------------------


class SchemaError(Exception):
    """A descriptor this implementation does not understand."""


class Type:
    def schema_hash(self) -> int:
        raise NotImplementedError

    def max_len(self) -> int:
        raise NotImplementedError

    def encode(self, value, out: bytearray) -> None:
        raise NotImplementedError

    def decode(self, r: Reader):
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Type):
    name: str  # "u8", "i64", "NonZeroU16", ...
    bits: int
    signed: bool
    nonzero: bool

    def schema_hash(self) -> int:
        return leaf(self.name)

    def max_len(self) -> int:
        return 1 if self.bits == 8 else varint_max(self.bits)

    def _check(self, n: int) -> None:
        lo, hi = (-(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1) if self.signed else (0, (1 << self.bits) - 1)
        if not isinstance(n, int) or isinstance(n, bool) or not lo <= n <= hi:
            raise ValueError(f"{n!r} is not a {self.name}")
        if self.nonzero and n == 0:
            raise ValueError(f"{self.name} cannot be zero")

    def encode(self, value, out: bytearray) -> None:
        self._check(value)
        if self.bits == 8:
            out.append(value & 0xFF)  # one raw byte (two's complement for i8)
        elif self.signed:
            out += varint(zigzag(value))
        else:
            out += varint(value)

    def decode(self, r: Reader):
        if self.bits == 8:
            b = r.byte()
            n = b - 256 if self.signed and b >= 128 else b
        elif self.signed:
            n = unzigzag(r.varint(self.bits))
        else:
            n = r.varint(self.bits)
        if self.nonzero and n == 0:
            raise PayloadError(f"{self.name} is zero")
        return n


@dataclass(frozen=True)
class Leaf(Type):
    """bool, f32, f64, char, (), PhantomData, Duration: fixed rules each."""

    name: str

    def schema_hash(self) -> int:
        return leaf(self.name)

    def max_len(self) -> int:
        return {"bool": 1, "f32": 4, "f64": 8, "char": 5, "()": 0, "PhantomData": 0, "Duration": 15}[self.name]

    def encode(self, value, out: bytearray) -> None:
        n = self.name
        if n == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not a bool")
            out.append(1 if value else 0)
        elif n == "f32":
            out += struct.pack("<f", value)
        elif n == "f64":
            out += struct.pack("<d", value)
        elif n == "char":
            if not isinstance(value, str) or len(value) != 1:
                raise ValueError(f"{value!r} is not one char")
            data = value.encode()
            out += varint(len(data)) + data
        elif n in ("()", "PhantomData"):
            if value is not None:
                raise ValueError(f"{n} is null")
        elif n == "Duration":
            out += varint(value["secs"]) + varint(value["nanos"])

    def decode(self, r: Reader):
        n = self.name
        if n == "bool":
            b = r.byte()
            if b > 1:
                raise PayloadError(f"bool byte {b}")
            return b == 1
        if n == "f32":
            return struct.unpack("<f", r.take(4))[0]
        if n == "f64":
            return struct.unpack("<d", r.take(8))[0]
        if n == "char":
            size = r.varint(64)
            if size > 4:
                raise PayloadError("char longer than 4 bytes")
            try:
                text = r.take(size).decode("utf-8")
            except UnicodeDecodeError as err:
                raise PayloadError("char is not UTF-8") from err
            if len(text) != 1:
                raise PayloadError("char is not exactly one character")
            return text
        if n in ("()", "PhantomData"):
            return None
        # Duration: { secs: u64, nanos: u32 }, normalized as Rust's Duration::new.
        secs = r.varint(64)
        nanos = r.varint(32)
        secs += nanos // 1_000_000_000
        if secs > (1 << 64) - 1:
            raise PayloadError("Duration overflows")
        return {"secs": secs, "nanos": nanos % 1_000_000_000}


@dataclass(frozen=True)
class Option(Type):
    inner: Type

    def schema_hash(self) -> int:
        return mix_u64(leaf("Option"), self.inner.schema_hash())

    def max_len(self) -> int:
        return 1 + self.inner.max_len()

    def encode(self, value, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.encode(value, out)

    def decode(self, r: Reader):
        tag = r.byte()
        if tag == 0:
            return None
        if tag == 1:
            return self.inner.decode(r)
        raise PayloadError(f"Option tag {tag}")


@dataclass(frozen=True)
class Flash(Option):
    """`Flash<M>`: encoded as `Option<M>`, hashed under its own name."""

    def schema_hash(self) -> int:
        return mix_u64(leaf("Flash"), self.inner.schema_hash())


@dataclass(frozen=True)
class Result(Type):
    ok: Type
    err: Type

    def schema_hash(self) -> int:
        return mix_u64(mix_u64(leaf("Result"), self.ok.schema_hash()), self.err.schema_hash())

    def max_len(self) -> int:
        return 1 + max(self.ok.max_len(), self.err.max_len())

    def encode(self, value, out: bytearray) -> None:
        ((variant, inner),) = value.items()
        out += varint({"Ok": 0, "Err": 1}[variant])
        (self.ok if variant == "Ok" else self.err).encode(inner, out)

    def decode(self, r: Reader):
        index = r.varint(32)
        if index == 0:
            return {"Ok": self.ok.decode(r)}
        if index == 1:
            return {"Err": self.err.decode(r)}
        raise PayloadError(f"Result variant {index}")


@dataclass(frozen=True)
class Box(Type):
    inner: Type

    def schema_hash(self) -> int:
        return self.inner.schema_hash()

    def max_len(self) -> int:
        return self.inner.max_len()

    def encode(self, value, out: bytearray) -> None:
        self.inner.encode(value, out)

    def decode(self, r: Reader):
        return self.inner.decode(r)


@dataclass(frozen=True)
class Array(Type):
    item: Type
    n: int
    # CsrfToken is [u8; 32] in every respect: hash, bound and bytes.

    def schema_hash(self) -> int:
        return mix_u64(mix_u64(leaf("array"), self.n), self.item.schema_hash())

    def max_len(self) -> int:
        return self.n * self.item.max_len()

    def encode(self, value, out: bytearray) -> None:
        if len(value) != self.n:
            raise ValueError(f"array of {self.n} items, got {len(value)}")
        for item in value:
            self.item.encode(item, out)

    def decode(self, r: Reader):
        return [self.item.decode(r) for _ in range(self.n)]


@dataclass(frozen=True)
class Tuple(Type):
    items: tuple

    def schema_hash(self) -> int:
        h = leaf("tuple")
        for item in self.items:
            h = mix_u64(h, item.schema_hash())
        return h

    def max_len(self) -> int:
        return sum(item.max_len() for item in self.items)

    def encode(self, value, out: bytearray) -> None:
        if len(value) != len(self.items):
            raise ValueError("tuple length")
        for ty, item in zip(self.items, value):
            ty.encode(item, out)

    def decode(self, r: Reader):
        return [ty.decode(r) for ty in self.items]


@dataclass(frozen=True)
class BoundedString(Type):
    n: int

    def schema_hash(self) -> int:
        return mix_u64(leaf("BoundedString"), self.n)

    def max_len(self) -> int:
        return varint_len(self.n) + self.n

    def encode(self, value, out: bytearray) -> None:
        data = value.encode()
        if len(data) > self.n:
            raise ValueError(f"string of {len(data)} bytes over {self.n}")
        out += varint(len(data)) + data

    def decode(self, r: Reader):
        size = r.varint(64)
        data = r.take(size)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PayloadError("string is not UTF-8") from err
        if size > self.n:
            raise PayloadError(f"string of {size} bytes over {self.n}")
        return text


@dataclass(frozen=True)
class BoundedVec(Type):
    item: Type
    n: int

    def schema_hash(self) -> int:
        return mix_u64(mix_u64(leaf("BoundedVec"), self.n), self.item.schema_hash())

    def max_len(self) -> int:
        return varint_len(self.n) + self.n * self.item.max_len()

    def encode(self, value, out: bytearray) -> None:
        if len(value) > self.n:
            raise ValueError(f"{len(value)} items over {self.n}")
        out += varint(len(value))
        for item in value:
            self.item.encode(item, out)

    def decode(self, r: Reader):
        count = r.varint(64)
        if count > self.n:
            raise PayloadError(f"{count} items over {self.n}")
        return [self.item.decode(r) for _ in range(count)]


@dataclass(frozen=True)
class Field:
    name: str | None  # None for a tuple field: its name is its decimal index
    ty: Type | None  # None when skipped and not described
    skip: bool
    rename: str | None  # serde's name, for the JSON of the harness only

    def json_name(self, index: int) -> str:
        return self.rename or self.name or str(index)


@dataclass(frozen=True)
class Fields:
    """The fields of a struct, an enum variant or a session."""

    shape: str  # "named", "tuple" or "unit"
    fields: tuple

    def schema_hash(self, kind: str, trace: list | None = None) -> int:
        """`trace`, if given, receives each step as (description, hash)."""
        note = trace.append if trace is not None else (lambda step: None)
        h = leaf(kind)
        note((f'h = leaf("{kind}")', h))
        h = mix(h, self.shape.encode())
        note((f'h = mix(h, "{self.shape}")', h))
        for index, field in enumerate(self.fields):
            name = field.name if field.name is not None else str(index)
            h = mix(h, name.encode())
            note((f'h = mix(h, "{name}")', h))
            if field.skip:
                h = mix_u64(h, leaf("serde(skip)"))
                note(('h = mix_u64(h, leaf("serde(skip)"))', h))
            else:
                nested = field.ty.schema_hash()
                h = mix_u64(h, nested)
                note((f"h = mix_u64(h, {nested:016x})", h))
        return h

    def max_len(self) -> int:
        return sum(f.ty.max_len() for f in self.fields if not f.skip)

    def stored(self):
        return [(i, f) for i, f in enumerate(self.fields) if not f.skip]

    # serde_json's shapes: named -> object, one tuple field -> the value
    # (newtype), other tuples -> array, unit -> null.
    def encode(self, value, out: bytearray) -> None:
        if self.shape == "named":
            for i, f in self.stored():
                f.ty.encode(value[f.json_name(i)], out)
        elif self.shape == "tuple" and len(self.fields) == 1:
            self.fields[0].ty.encode(value, out)
        elif self.shape == "tuple":
            items = iter(value)
            for _, f in self.stored():
                f.ty.encode(next(items), out)

    def decode(self, r: Reader):
        if self.shape == "named":
            return {f.json_name(i): f.ty.decode(r) for i, f in self.stored()}
        if self.shape == "tuple" and len(self.fields) == 1:
            return self.fields[0].ty.decode(r)
        if self.shape == "tuple":
            return [f.ty.decode(r) for _, f in self.stored()]
        return None


@dataclass(frozen=True)
class Struct(Type):
    fields: Fields

    def schema_hash(self) -> int:
        return self.fields.schema_hash("struct")

    def max_len(self) -> int:
        return self.fields.max_len()

    def encode(self, value, out: bytearray) -> None:
        self.fields.encode(value, out)

    def decode(self, r: Reader):
        return self.fields.decode(r)


@dataclass(frozen=True)
class Variant:
    name: str
    fields: Fields
    other: bool
    rename: str | None

    @property
    def json_name(self) -> str:
        return self.rename or self.name


@dataclass(frozen=True)
class Enum(Type):
    variants: tuple

    def schema_hash(self) -> int:
        h = leaf("enum")
        for v in self.variants:
            h = mix(h, v.name.encode())
            if v.other:
                h = mix(h, b"serde(other)")
            h = mix_u64(h, v.fields.schema_hash("variant"))
        return h

    def max_len(self) -> int:
        if not self.variants:
            return 0
        return varint_len(len(self.variants) - 1) + max(v.fields.max_len() for v in self.variants)

    def encode(self, value, out: bytearray) -> None:
        if isinstance(value, str):
            name, inner = value, None
        else:
            ((name, inner),) = value.items()
        for index, v in enumerate(self.variants):
            if v.json_name == name:
                out += varint(index)
                v.fields.encode(inner, out)
                return
        raise ValueError(f"no variant {name!r}")

    def decode(self, r: Reader):
        index = r.varint(32)
        if index >= len(self.variants):
            other = [v for v in self.variants if v.other]
            if not other:
                raise PayloadError(f"variant index {index} of {len(self.variants)}")
            return other[0].json_name
        v = self.variants[index]
        if v.fields.shape == "unit":
            return v.json_name
        return {v.json_name: v.fields.decode(r)}


# --- parsing the JSON descriptors ---------------------------------------------------

_INTS = {
    **{f"u{b}": (b, False) for b in (8, 16, 32, 64, 128)},
    **{f"i{b}": (b, True) for b in (8, 16, 32, 64, 128)},
    "usize": (64, False),  # 64-bit targets
    "isize": (64, True),
}
_LEAVES = {"bool", "f32", "f64", "char", "()", "PhantomData", "Duration"}


class Parser:
    """Turns descriptors into types, resolving {"ref": NAME} through `defs`."""

    def __init__(self, defs: dict):
        self.defs = defs
        self.resolving: set = set()

    def ty(self, d) -> Type:
        if isinstance(d, str):
            if d in _INTS:
                bits, signed = _INTS[d]
                return Int(d, bits, signed, False)
            if d.startswith("NonZero") and d[7:].lower() in _INTS:
                bits, signed = _INTS[d[7:].lower()]
                return Int(d, bits, signed, True)
            if d in _LEAVES:
                return Leaf(d)
            if d == "CsrfToken":
                return Array(Int("u8", 8, False, False), 32)
            raise SchemaError(f"unknown type {d!r}")
        if not isinstance(d, dict) or len(d) != 1:
            raise SchemaError(f"bad descriptor {d!r}")
        ((key, arg),) = d.items()
        if key == "ref":
            if arg in self.resolving:
                raise SchemaError(f"recursive type {arg}")
            self.resolving.add(arg)
            try:
                return self.ty(self.defs[arg])
            finally:
                self.resolving.discard(arg)
        if key == "Option":
            return Option(self.ty(arg))
        if key == "Flash":
            return Flash(self.ty(arg))
        if key == "Box":
            return Box(self.ty(arg))
        if key == "Result":
            return Result(self.ty(arg[0]), self.ty(arg[1]))
        if key == "array":
            return Array(self.ty(arg[0]), int(arg[1]))
        if key == "tuple":
            if not 1 <= len(arg) <= 12:
                raise SchemaError("tuples have 1 to 12 items")
            return Tuple(tuple(self.ty(a) for a in arg))
        if key == "BoundedString":
            return BoundedString(int(arg))
        if key == "BoundedVec":
            return BoundedVec(self.ty(arg[0]), int(arg[1]))
        if key == "struct":
            return Struct(self.fields(arg))
        if key == "enum":
            return Enum(
                tuple(
                    Variant(v["name"], self.fields(v.get("fields", "unit")), bool(v.get("other")), v.get("rename"))
                    for v in arg
                )
            )
        raise SchemaError(f"unknown descriptor {key!r}")

    def fields(self, d) -> Fields:
        if d == "unit":
            return Fields("unit", ())
        ((shape, items),) = d.items()
        if shape not in ("named", "tuple"):
            raise SchemaError(f"bad fields {d!r}")
        out = []
        for f in items:
            skip = bool(f.get("skip"))
            ty = self.ty(f["type"]) if "type" in f else None
            if ty is None and not skip:
                raise SchemaError("a stored field needs a type")
            name = f.get("name") if shape == "named" else None
            if shape == "named" and not name:
                raise SchemaError("a named field needs a name")
            out.append(Field(name, ty, skip, f.get("rename")))
        return Fields(shape, tuple(out))


# --- sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """A `#[derive(CookieSession)]` struct: cookie name, version, mode, fields."""

    cookie: str
    version: int
    encrypted: bool
    fields: Fields
    # `#[session(chunks = N)]` (1: one cookie) and `#[session(budget = B)]`
    # ("Chunked sessions": the capacities follow from B and the name).
    chunks: int = 1
    budget: int = 4096

    def schema_hash(self) -> int:
        return self.fields.schema_hash("session")

    def fingerprint(self, trace: list | None = None) -> int:
        note = trace.append if trace is not None else (lambda step: None)
        fields = self.fields.schema_hash("session", trace)
        f = leaf("cookie-session")
        note(('f = leaf("cookie-session")', f))
        f = mix_u64(f, self.version)
        note((f"f = mix_u64(f, {self.version})", f))
        f = mix_u64(f, fields)
        note(("FINGERPRINT = mix_u64(f, h)", f))
        return f

    def max_payload_len(self) -> int:
        return self.fields.max_len()

    def encode(self, value) -> bytes:
        out = bytearray()
        self.fields.encode(value, out)
        return bytes(out)

    def decode(self, payload: bytes):
        r = Reader(payload)
        value = self.fields.decode(r)
        if not r.done():
            raise PayloadError(f"{len(payload) - r.at} trailing bytes")
        return value


def parse_session(d: dict, defs: dict) -> Session:
    parser = Parser(defs)
    return Session(
        cookie=d["cookie"],
        version=int(d["version"]),
        encrypted=bool(d.get("encrypted", False)),
        fields=parser.fields({"named": d["fields"]}),
        chunks=int(d.get("chunks", 1)),
        budget=int(d.get("budget", 4096)),
    )

