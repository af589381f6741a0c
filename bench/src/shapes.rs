//! The three session shapes the codec benchmark compares, with deterministic fixtures.
//!
//! The shapes are plain serde structs on purpose: every peer (and the Node script in
//! `node/cookie_session_bench.js`, which rebuilds the same values with the same formulas)
//! must encode exactly the same data, so nothing here depends on the main library's types.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A login-only session: the smallest realistic cookie.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Small {
    /// Authenticated user.
    pub user_id: u64,
    /// Per-session CSRF secret.
    pub csrf: [u8; 32],
    /// One-shot message; `None` in the fixture, which is the common case.
    pub flash: Option<String>,
}

/// A typical application session (≈120 bytes as a postcard body).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Medium {
    /// Authenticated user.
    pub user_id: u64,
    /// Display name (24 characters in the medium fixture, 500 in the large one).
    pub name: String,
    /// Role ids (5 in the fixtures).
    pub roles: Vec<u16>,
    /// Per-session CSRF secret.
    pub csrf: [u8; 32],
    /// `(sku, quantity)` pairs (10 in the medium fixture, 150 in the large one).
    pub cart: Vec<(u32, u16)>,
    /// BCP 47 tag.
    pub locale: String,
    /// Unix seconds.
    pub last_seen: i64,
}

/// Same fields as [`Medium`] (the same type), filled close to the browser's
/// cookie limit (500-character name, 150 cart items) so per-byte costs dominate.
pub type Large = Medium;

/// Receives a session one field at a time, the way `Session::insert(key, value)` is called
/// by an application using a string-keyed session map (actix-session, tower-sessions).
pub trait FieldSink {
    /// Error raised while storing a field.
    type Error;
    /// Store one field under its Rust field name.
    fn put<V: Serialize>(&mut self, name: &'static str, value: &V) -> Result<(), Self::Error>;
}

/// Hands out fields one at a time, the way `Session::get::<T>(key)` is called.
pub trait FieldSource {
    /// Fetch and deserialize one field; `None` if it is missing or does not decode.
    fn take<V: DeserializeOwned>(&mut self, name: &'static str) -> Option<V>;
}

/// A struct that can be written to / read from a string-keyed session map field by field.
///
/// Map-based peers cannot store a typed struct as one value without changing what they
/// measure, so the benchmark does what an application on those crates does: one
/// `insert` per field on the way out, one `get` per field on the way in.
pub trait Fieldwise: Sized {
    /// Field names, in declaration order.
    const FIELDS: &'static [&'static str];
    /// Insert every field into `sink`.
    fn put_fields<S: FieldSink>(&self, sink: &mut S) -> Result<(), S::Error>;
    /// Rebuild the struct from `source`; `None` if any field is missing or malformed.
    fn take_fields<S: FieldSource>(source: &mut S) -> Option<Self>;
}

/// Everything a benchmarked shape must support. Blanket-implemented.
pub trait Shape:
    Serialize + DeserializeOwned + Fieldwise + Clone + PartialEq + Debug + Send + Sync + 'static
{
}

impl<T> Shape for T where
    T: Serialize + DeserializeOwned + Fieldwise + Clone + PartialEq + Debug + Send + Sync + 'static
{
}

/// Writes the field-by-field impl so the field list is spelled once per shape and cannot
/// drift from what `put_fields` and `take_fields` do.
macro_rules! fieldwise {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl Fieldwise for $ty {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn put_fields<S: FieldSink>(&self, sink: &mut S) -> Result<(), S::Error> {
                $(sink.put(stringify!($field), &self.$field)?;)+
                Ok(())
            }

            fn take_fields<S: FieldSource>(source: &mut S) -> Option<Self> {
                Some(Self {
                    $($field: source.take(stringify!($field))?,)+
                })
            }
        }
    };
}

fieldwise!(Small {
    user_id,
    csrf,
    flash
});
fieldwise!(Medium {
    user_id,
    name,
    roles,
    csrf,
    cart,
    locale,
    last_seen
});

/// 24 ASCII characters; the large fixture repeats it with a trailing space.
const NAME24: &str = "Alexandra Montgomery-Fox";
const USER_ID: u64 = 1_234_567_890;
/// 2026-01-01T00:00:00Z.
const LAST_SEEN: i64 = 1_767_225_600;
const ROLES: [u16; 5] = [1, 7, 42, 300, 1024];

/// Deterministic, non-constant bytes so no encoder gets an easy run of zeros.
/// Node mirrors this: `(i * 37 + 11) & 0xff`.
fn csrf() -> [u8; 32] {
    std::array::from_fn(|i| (i * 37 + 11) as u8)
}

/// Node mirrors this: `[100000 + i * 7919, (i % 5) + 1]`.
fn cart(len: u32) -> Vec<(u32, u16)> {
    (0..len)
        .map(|i| (100_000 + i * 7_919, (i % 5) as u16 + 1))
        .collect()
}

/// The small fixture.
pub fn small() -> Small {
    Small {
        user_id: USER_ID,
        csrf: csrf(),
        flash: None,
    }
}

/// The medium fixture: 24-character name, 5 roles, 10 cart items.
pub fn medium() -> Medium {
    Medium {
        user_id: USER_ID,
        name: NAME24.to_owned(),
        roles: ROLES.to_vec(),
        csrf: csrf(),
        cart: cart(10),
        locale: "en-GB".to_owned(),
        last_seen: LAST_SEEN,
    }
}

/// The large fixture: the medium one with a 500-character name and 150 cart items.
pub fn large() -> Large {
    // 20 × 25 characters = 500; ASCII, so chars == bytes.
    let name = format!("{NAME24} ").repeat(20);
    Large {
        name,
        cart: cart(150),
        ..medium()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_have_the_specified_sizes() {
        assert_eq!(medium().name.chars().count(), 24);
        assert_eq!(medium().roles.len(), 5);
        assert_eq!(medium().cart.len(), 10);
        assert_eq!(large().name.chars().count(), 500);
        assert_eq!(large().cart.len(), 150);
        // The brief asks for a ≈120-byte postcard body for the medium shape.
        let body = postcard::to_allocvec(&medium()).unwrap();
        assert!((110..=130).contains(&body.len()), "{}", body.len());
    }
}
