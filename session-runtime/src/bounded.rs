//! Length-bounded replacements for `String` and `Vec<T>`.
//!
//! Their bound is part of the type, so the session's maximum cookie size is known
//! at compile time, and their `Deserialize` impls refuse over-long input before
//! allocating for it: a hostile length prefix cannot make the server allocate
//! more than the bound allows.

use core::borrow::Borrow;
use core::fmt;
use core::ops::Deref;
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::size::{add, mul, schema_hash_leaf, schema_hash_u64, varint_len, MaxEncodedLen};

/// A value was longer than the bound of the bounded type it was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityError {
    /// The bound `N` of the target type.
    pub max: usize,
    /// The length that was offered (bytes for strings, items for vectors).
    pub actual: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "length {} exceeds the bound of {}",
            self.actual, self.max
        )
    }
}

impl std::error::Error for CapacityError {}

/// A UTF-8 string of at most `N` bytes.
///
/// Use it in a session instead of `String`: the bound makes the session's size
/// known at compile time.
///
/// ```
/// use session_runtime::BoundedString;
///
/// let name = BoundedString::<8>::try_from("Ada").unwrap();
/// assert_eq!(&*name, "Ada");
/// assert!(BoundedString::<8>::try_from("Ada Lovelace").is_err());
/// // Or cut at the last char boundary that fits:
/// assert_eq!(BoundedString::<8>::truncating("Ada Lovelace").as_str(), "Ada Love");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoundedString<const N: usize>(String);

impl<const N: usize> BoundedString<N> {
    /// The bound: the most bytes of UTF-8 this type holds.
    pub const MAX_LEN: usize = N;

    /// An empty string.
    pub const fn new() -> Self {
        Self(String::new())
    }

    /// Takes `value` if it fits in `N` bytes.
    pub fn from_string(value: String) -> Result<Self, CapacityError> {
        if value.len() > N {
            return Err(CapacityError {
                max: N,
                actual: value.len(),
            });
        }
        Ok(Self(value))
    }

    /// Copies the longest prefix of `value` that fits in `N` bytes and ends on a
    /// `char` boundary.
    pub fn truncating(value: &str) -> Self {
        let mut end = value.len().min(N);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Self(value[..end].to_owned())
    }

    /// Appends `tail` if the result still fits; leaves `self` unchanged otherwise.
    pub fn try_push_str(&mut self, tail: &str) -> Result<(), CapacityError> {
        let total = self.0.len() + tail.len();
        if total > N {
            return Err(CapacityError {
                max: N,
                actual: total,
            });
        }
        self.0.push_str(tail);
        Ok(())
    }

    /// Empties the string.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The contents as `&str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Gives back the inner `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const N: usize> Deref for BoundedString<N> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> AsRef<str> for BoundedString<N> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> Borrow<str> for BoundedString<N> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for BoundedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const N: usize> fmt::Display for BoundedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<const N: usize> PartialEq<str> for BoundedString<N> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl<const N: usize> PartialEq<&str> for BoundedString<N> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<const N: usize> TryFrom<&str> for BoundedString<N> {
    type Error = CapacityError;
    fn try_from(value: &str) -> Result<Self, CapacityError> {
        if value.len() > N {
            return Err(CapacityError {
                max: N,
                actual: value.len(),
            });
        }
        Ok(Self(value.to_owned()))
    }
}

impl<const N: usize> TryFrom<String> for BoundedString<N> {
    type Error = CapacityError;
    fn try_from(value: String) -> Result<Self, CapacityError> {
        Self::from_string(value)
    }
}

impl<const N: usize> FromStr for BoundedString<N> {
    type Err = CapacityError;
    fn from_str(value: &str) -> Result<Self, CapacityError> {
        Self::try_from(value)
    }
}

impl<const N: usize> From<BoundedString<N>> for String {
    fn from(value: BoundedString<N>) -> String {
        value.0
    }
}

impl<const N: usize> MaxEncodedLen for BoundedString<N> {
    // varint(len) prefix + at most N bytes.
    const MAX_ENCODED_LEN: usize = add(varint_len(N as u128), N);
    const SCHEMA_HASH: u64 = schema_hash_u64(schema_hash_leaf("BoundedString"), N as u64);
}

impl<const N: usize> Serialize for BoundedString<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, const N: usize> Deserialize<'de> for BoundedString<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(BoundedStringVisitor::<N>)
    }
}

struct BoundedStringVisitor<const N: usize>;

impl<const N: usize> Visitor<'_> for BoundedStringVisitor<N> {
    type Value = BoundedString<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of at most {N} bytes")
    }

    // The length is checked on the borrowed input, before the owned copy is made.
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        if value.len() > N {
            return Err(E::invalid_length(value.len(), &self));
        }
        Ok(BoundedString(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        if value.len() > N {
            return Err(E::invalid_length(value.len(), &self));
        }
        Ok(BoundedString(value))
    }
}

/// A vector of at most `N` items.
///
/// Use it in a session instead of `Vec<T>`.
///
/// ```
/// use session_runtime::BoundedVec;
///
/// let mut roles = BoundedVec::<u16, 2>::new();
/// roles.try_push(1).unwrap();
/// roles.try_push(7).unwrap();
/// assert_eq!(roles.try_push(9), Err(9)); // full: the item comes back
/// assert_eq!(&*roles, &[1, 7]);
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BoundedVec<T, const N: usize>(Vec<T>);

impl<T, const N: usize> BoundedVec<T, N> {
    /// The bound: the most items this type holds.
    pub const MAX_LEN: usize = N;

    /// An empty vector (allocates nothing).
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Takes `items` if there are at most `N` of them.
    pub fn from_vec(items: Vec<T>) -> Result<Self, CapacityError> {
        if items.len() > N {
            return Err(CapacityError {
                max: N,
                actual: items.len(),
            });
        }
        Ok(Self(items))
    }

    /// Appends `item`, or hands it back when the vector already holds `N` items.
    pub fn try_push(&mut self, item: T) -> Result<(), T> {
        if self.0.len() >= N {
            return Err(item);
        }
        self.0.push(item);
        Ok(())
    }

    /// Whether another item would be refused.
    pub fn is_full(&self) -> bool {
        self.0.len() >= N
    }

    /// Removes and returns the last item.
    pub fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    /// Removes the item at `index`, shifting the rest left.
    ///
    /// # Panics
    /// If `index` is out of bounds, like [`Vec::remove`].
    pub fn remove(&mut self, index: usize) -> T {
        self.0.remove(index)
    }

    /// Keeps only the items for which `keep` returns true.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.0.retain(keep);
    }

    /// Shortens the vector to `len` items (no effect if already shorter).
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The items as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The items as a mutable slice (the length cannot change through it).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.0
    }

    /// Gives back the inner `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T, const N: usize> Default for BoundedVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Deref for BoundedVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const N: usize> core::ops::DerefMut for BoundedVec<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T, const N: usize> AsRef<[T]> for BoundedVec<T, N> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for BoundedVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<T, const N: usize> TryFrom<Vec<T>> for BoundedVec<T, N> {
    type Error = CapacityError;
    fn try_from(items: Vec<T>) -> Result<Self, CapacityError> {
        Self::from_vec(items)
    }
}

impl<T: Clone, const N: usize> TryFrom<&[T]> for BoundedVec<T, N> {
    type Error = CapacityError;
    fn try_from(items: &[T]) -> Result<Self, CapacityError> {
        if items.len() > N {
            return Err(CapacityError {
                max: N,
                actual: items.len(),
            });
        }
        Ok(Self(items.to_vec()))
    }
}

impl<T, const N: usize, const M: usize> TryFrom<[T; M]> for BoundedVec<T, N> {
    type Error = CapacityError;
    fn try_from(items: [T; M]) -> Result<Self, CapacityError> {
        Self::from_vec(Vec::from(items))
    }
}

impl<T, const N: usize> From<BoundedVec<T, N>> for Vec<T> {
    fn from(value: BoundedVec<T, N>) -> Vec<T> {
        value.0
    }
}

impl<T, const N: usize> IntoIterator for BoundedVec<T, N> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a BoundedVec<T, N> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: MaxEncodedLen, const N: usize> MaxEncodedLen for BoundedVec<T, N> {
    // varint(len) prefix + N items at their maximum.
    const MAX_ENCODED_LEN: usize = add(varint_len(N as u128), mul(N, T::MAX_ENCODED_LEN));
    const SCHEMA_HASH: u64 = schema_hash_u64(
        schema_hash_u64(schema_hash_leaf("BoundedVec"), N as u64),
        T::SCHEMA_HASH,
    );
}

impl<T: Serialize, const N: usize> Serialize for BoundedVec<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for BoundedVec<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(BoundedVecVisitor::<T, N>(core::marker::PhantomData))
    }
}

struct BoundedVecVisitor<T, const N: usize>(core::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for BoundedVecVisitor<T, N> {
    type Value = BoundedVec<T, N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of at most {N} items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // postcard announces the length prefix as the size hint when it fits in
        // the remaining input: refuse such a prefix above N before reserving
        // anything. A prefix longer than the input gets no hint; then items are
        // read one by one and the N+1st is refused. Either way nothing beyond
        // N items (and never beyond what the input holds) is reserved.
        let announced = seq.size_hint().unwrap_or(0);
        if announced > N {
            return Err(de::Error::invalid_length(announced, &self));
        }
        let mut items = Vec::with_capacity(announced.min(N));
        while let Some(item) = seq.next_element()? {
            if items.len() == N {
                return Err(de::Error::invalid_length(N + 1, &self));
            }
            items.push(item);
        }
        Ok(BoundedVec(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_rejects_over_long_input_on_decode() {
        let long = postcard::to_allocvec("abcdef").unwrap();
        assert!(postcard::from_bytes::<BoundedString<5>>(&long).is_err());
        let ok: BoundedString<6> = postcard::from_bytes(&long).unwrap();
        assert_eq!(ok, "abcdef");
    }

    #[test]
    fn vec_rejects_hostile_length_prefix_without_allocating() {
        // varint(u64::MAX / 2) as a length prefix with no items behind it.
        let mut hostile = vec![0xff; 9];
        hostile.push(0x7f);
        let err = postcard::from_bytes::<BoundedVec<u8, 4>>(&hostile);
        assert!(err.is_err());
    }

    #[test]
    fn vec_round_trips_at_its_bound() {
        let full = BoundedVec::<u32, 3>::try_from([u32::MAX; 3]).unwrap();
        let bytes = postcard::to_allocvec(&full).unwrap();
        assert_eq!(bytes.len(), BoundedVec::<u32, 3>::MAX_ENCODED_LEN);
        assert_eq!(
            postcard::from_bytes::<BoundedVec<u32, 3>>(&bytes).unwrap(),
            full
        );
        assert!(postcard::from_bytes::<BoundedVec<u32, 2>>(&bytes).is_err());
    }

    #[test]
    fn truncating_respects_char_boundaries() {
        assert_eq!(BoundedString::<4>::truncating("añob").as_str(), "año");
        assert_eq!(BoundedString::<2>::truncating("añob").as_str(), "a");
        assert_eq!(BoundedString::<0>::truncating("x").as_str(), "");
    }
}
