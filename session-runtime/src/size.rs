//! Compile-time upper bounds on the postcard encoding of a value, and the
//! schema hash that feeds a session's fingerprint.
//!
//! The bounds follow postcard's documented 1.0 wire format
//! (<https://postcard.jamesmunns.com/wire-format>): `u8`/`i8` are one raw byte,
//! wider integers are LEB128 varints (zig-zag for signed), lengths of strings and
//! sequences are `varint(usize)`, enum discriminants are `varint(u32)`, arrays and
//! tuples carry no length prefix, `Option` is a one-byte tag.

use core::marker::PhantomData;
use core::num::{
    NonZeroI128, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI8, NonZeroIsize, NonZeroU128,
    NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU8, NonZeroUsize,
};
use core::time::Duration;

/// A type whose postcard encoding has a known maximum length.
///
/// Every field of a [`CookieSession`](crate::CookieSession) must implement this
/// trait: it is how the compiler proves the cookie can never outgrow the
/// browser's 4096-byte limit. Derive it for your own structs and enums with
/// `#[derive(MaxEncodedLen)]`.
///
/// ```
/// use session_runtime::{BoundedString, MaxEncodedLen};
///
/// // A `u64` is a varint of at most 10 bytes.
/// assert_eq!(<u64 as MaxEncodedLen>::MAX_ENCODED_LEN, 10);
/// // 32 bytes of text plus a one-byte length prefix.
/// assert_eq!(<BoundedString<32> as MaxEncodedLen>::MAX_ENCODED_LEN, 33);
/// ```
///
/// Implementing it by hand is possible but the runtime double-checks the bound:
/// a value that encodes longer than its claimed maximum is refused when the
/// cookie is written, never silently emitted.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no compile-time size bound, so it cannot be stored in a cookie session",
    label = "`{Self}` can grow without limit, so the cookie could outgrow the browser's 4096-byte limit",
    note = "use `session_runtime::BoundedString<N>` instead of `String`, `session_runtime::BoundedVec<T, N>` instead of `Vec<T>` or a map, or a fixed-size array `[T; N]`",
    note = "for your own structs and enums, add `#[derive(session_runtime::MaxEncodedLen)]`"
)]
pub trait MaxEncodedLen {
    /// The largest number of bytes postcard can produce for a value of this type.
    const MAX_ENCODED_LEN: usize;

    /// A hash of the type's encoded shape (field names, variant names, nested
    /// shapes, bounds). It feeds the session's schema fingerprint so a change in
    /// any nested type is noticed. It is a change detector, not a security
    /// boundary: cookies are authenticated by the MAC.
    const SCHEMA_HASH: u64;
}

/// Number of bytes of the LEB128 varint encoding of `value`.
pub const fn varint_len(mut value: u128) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// Longest LEB128 varint for an integer of `bits` bits: ceil(bits / 7).
pub const fn varint_max(bits: u32) -> usize {
    bits.div_ceil(7) as usize
}

/// FNV-1a 64 offset basis: the starting value of every schema hash.
pub const SCHEMA_HASH_SEED: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Mixes `bytes` into the running schema hash `hash` (FNV-1a 64, usable in `const`).
pub const fn schema_hash_bytes(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    // A terminator keeps `("ab", "c")` and `("a", "bc")` apart.
    hash ^= 0xff;
    hash.wrapping_mul(FNV_PRIME)
}

/// Mixes a number (a nested hash, a bound, a version) into the running hash.
pub const fn schema_hash_u64(hash: u64, value: u64) -> u64 {
    schema_hash_bytes(hash, &value.to_le_bytes())
}

/// The schema hash of a leaf type identified by `name`.
pub const fn schema_hash_leaf(name: &str) -> u64 {
    schema_hash_bytes(SCHEMA_HASH_SEED, name.as_bytes())
}

/// Saturating addition, so a monstrous bound reports `usize::MAX` bytes in the
/// budget error instead of an opaque overflow error inside generated code.
pub const fn add(a: usize, b: usize) -> usize {
    a.saturating_add(b)
}

/// Saturating multiplication, see [`add`].
pub const fn mul(a: usize, b: usize) -> usize {
    a.saturating_mul(b)
}

/// Larger of two bounds (for enum variants).
pub const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

macro_rules! impl_fixed {
    ($($ty:ty => $len:expr),* $(,)?) => {$(
        impl MaxEncodedLen for $ty {
            const MAX_ENCODED_LEN: usize = $len;
            const SCHEMA_HASH: u64 = schema_hash_leaf(stringify!($ty));
        }
    )*};
}

impl_fixed! {
    // One raw byte each.
    u8 => 1, i8 => 1, bool => 1,
    // LEB128 varints (signed ones zig-zag encoded first).
    u16 => varint_max(16), i16 => varint_max(16),
    u32 => varint_max(32), i32 => varint_max(32),
    u64 => varint_max(64), i64 => varint_max(64),
    u128 => varint_max(128), i128 => varint_max(128),
    usize => varint_max(usize::BITS), isize => varint_max(usize::BITS),
    // Non-zero integers serialize exactly like their primitive.
    NonZeroU8 => 1, NonZeroI8 => 1,
    NonZeroU16 => varint_max(16), NonZeroI16 => varint_max(16),
    NonZeroU32 => varint_max(32), NonZeroI32 => varint_max(32),
    NonZeroU64 => varint_max(64), NonZeroI64 => varint_max(64),
    NonZeroU128 => varint_max(128), NonZeroI128 => varint_max(128),
    NonZeroUsize => varint_max(usize::BITS), NonZeroIsize => varint_max(usize::BITS),
    // IEEE-754 little-endian, fixed width.
    f32 => 4, f64 => 8,
    // A char is serialized as a UTF-8 string: varint length (1 byte) + up to 4 bytes.
    char => 1 + 4,
    () => 0,
    // serde encodes Duration as the struct { secs: u64, nanos: u32 }.
    Duration => varint_max(64) + varint_max(32),
}

impl<T: MaxEncodedLen> MaxEncodedLen for Option<T> {
    // One tag byte (0 = None, 1 = Some) followed by the value.
    const MAX_ENCODED_LEN: usize = add(1, T::MAX_ENCODED_LEN);
    const SCHEMA_HASH: u64 = schema_hash_u64(schema_hash_leaf("Option"), T::SCHEMA_HASH);
}

impl<T: MaxEncodedLen, E: MaxEncodedLen> MaxEncodedLen for Result<T, E> {
    // serde encodes Result as an enum with two variants: a one-byte varint tag.
    const MAX_ENCODED_LEN: usize = add(1, max(T::MAX_ENCODED_LEN, E::MAX_ENCODED_LEN));
    const SCHEMA_HASH: u64 = schema_hash_u64(
        schema_hash_u64(schema_hash_leaf("Result"), T::SCHEMA_HASH),
        E::SCHEMA_HASH,
    );
}

impl<T: MaxEncodedLen, const N: usize> MaxEncodedLen for [T; N] {
    // serde encodes arrays as tuples: no length prefix.
    const MAX_ENCODED_LEN: usize = mul(N, T::MAX_ENCODED_LEN);
    const SCHEMA_HASH: u64 = schema_hash_u64(
        schema_hash_u64(schema_hash_leaf("array"), N as u64),
        T::SCHEMA_HASH,
    );
}

impl<T: MaxEncodedLen + ?Sized> MaxEncodedLen for Box<T> {
    const MAX_ENCODED_LEN: usize = T::MAX_ENCODED_LEN;
    const SCHEMA_HASH: u64 = T::SCHEMA_HASH;
}

impl<T: ?Sized> MaxEncodedLen for PhantomData<T> {
    const MAX_ENCODED_LEN: usize = 0;
    const SCHEMA_HASH: u64 = schema_hash_leaf("PhantomData");
}

macro_rules! impl_tuple {
    ($($name:ident)+) => {
        impl<$($name: MaxEncodedLen),+> MaxEncodedLen for ($($name,)+) {
            const MAX_ENCODED_LEN: usize = 0usize $(.saturating_add($name::MAX_ENCODED_LEN))+;
            const SCHEMA_HASH: u64 = {
                let hash = schema_hash_leaf("tuple");
                $(let hash = schema_hash_u64(hash, $name::SCHEMA_HASH);)+
                hash
            };
        }
    };
}

impl_tuple!(A);
impl_tuple!(A B);
impl_tuple!(A B C);
impl_tuple!(A B C D);
impl_tuple!(A B C D E);
impl_tuple!(A B C D E F);
impl_tuple!(A B C D E F G);
impl_tuple!(A B C D E F G H);
impl_tuple!(A B C D E F G H I);
impl_tuple!(A B C D E F G H I J);
impl_tuple!(A B C D E F G H I J K);
impl_tuple!(A B C D E F G H I J K L);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn encoded_len<T: Serialize>(value: &T) -> usize {
        postcard::to_allocvec(value).expect("serializes").len()
    }

    #[test]
    fn varint_bounds_match_postcard_extremes() {
        assert_eq!(encoded_len(&u16::MAX), u16::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&u32::MAX), u32::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&u64::MAX), u64::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&u128::MAX), u128::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&i64::MIN), i64::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&i128::MIN), i128::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&usize::MAX), usize::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&char::MAX), char::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&Duration::MAX), Duration::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&Some(u64::MAX)), Option::<u64>::MAX_ENCODED_LEN);
        assert_eq!(encoded_len(&[u32::MAX; 7]), <[u32; 7]>::MAX_ENCODED_LEN);
        assert_eq!(
            encoded_len(&(u8::MAX, i16::MIN, f64::MAX)),
            <(u8, i16, f64)>::MAX_ENCODED_LEN
        );
        assert_eq!(
            encoded_len(&Result::<u64, u8>::Ok(u64::MAX)),
            Result::<u64, u8>::MAX_ENCODED_LEN
        );
    }

    #[test]
    fn varint_len_counts_bytes() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(4096), 2);
        assert_eq!(varint_len(u64::MAX as u128), 10);
    }

    #[test]
    fn schema_hash_distinguishes_shapes() {
        assert_ne!(u32::SCHEMA_HASH, u64::SCHEMA_HASH);
        assert_ne!(<[u8; 2]>::SCHEMA_HASH, <[u8; 3]>::SCHEMA_HASH);
        assert_ne!(Option::<u8>::SCHEMA_HASH, <(u8,)>::SCHEMA_HASH);
        assert_ne!(
            schema_hash_bytes(schema_hash_bytes(SCHEMA_HASH_SEED, b"ab"), b"c"),
            schema_hash_bytes(schema_hash_bytes(SCHEMA_HASH_SEED, b"a"), b"bc")
        );
    }
}
