//! Our side of the codec benchmark: the three shapes of [`crate::shapes`] as
//! `#[derive(CookieSession)]` structs, in signed and encrypted mode.
//!
//! Field order and values are those of the peer shapes, so the postcard payload is
//! byte-for-byte the floor's body (checked by `tests/ours.rs`): any difference
//! between us and the floor is what the library adds (header, name binding,
//! timestamps, size checks, `Session` bookkeeping), never a different body.
//!
//! Bounds: small and medium hold their fixture with room to spare. The large
//! shape's bounds are chosen to *just* fit the 4096-byte browser budget at
//! compile time: a 500-byte name and at most [`LARGE_CART`] cart items (one
//! more item and the derive refuses the struct; `tests/ours.rs` pins this).

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, Key, Session, SessionConfig, StoreError,
};

use crate::shapes::{Large, Medium, Small};
use crate::{cookie_pair, MASTER_KEY};

/// Most cart items the large shape can bound and still fit 4096 bytes as a
/// signed cookie named `session` (the fixture uses 150).
pub const LARGE_CART: usize = 305;
/// The medium shape's cart (the fixture fills it).
pub type MediumCart = BoundedVec<(u32, u16), 10>;
/// The large shape's cart. The encrypted cookie has 4 bytes less overhead,
/// not enough for one more 8-byte item, so both modes share the bound.
pub type LargeCart = BoundedVec<(u32, u16), LARGE_CART>;

/// Defines a shape twice, signed and encrypted, with identical fields.
macro_rules! shape {
    ($(#[$doc:meta])* $signed:ident / $encrypted:ident, {
        $($(#[$fdoc:meta])* $field:ident : $ty:ty),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
        #[session(name = "session", version = 1)]
        pub struct $signed {
            $($(#[$fdoc])* pub $field: $ty),+
        }

        $(#[$doc])*
        /// Encrypted (AES-256-GCM-SIV) variant.
        #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
        #[session(name = "session", version = 1, encrypted)]
        pub struct $encrypted {
            $($(#[$fdoc])* pub $field: $ty),+
        }
    };
}

shape!(
    /// `{user_id, csrf, flash: None}`.
    OurSmall / OurSmallEnc, {
        /// Authenticated user.
        user_id: u64,
        /// Per-session CSRF secret.
        csrf: [u8; 32],
        /// One-shot message (not `flash`: that name is reserved for the
        /// session handle's flash-message method, so the derive refuses it).
        flash_message: Option<BoundedString<64>>,
    }
);

/// Defines the medium or large shape (the same fields as
/// [`Medium`](crate::shapes::Medium); only the bounds of `name` and `cart` differ).
macro_rules! app_shape {
    ($(#[$doc:meta])* $signed:ident / $encrypted:ident, name: $name:ty, cart: $cart:ty) => {
        shape!(
            $(#[$doc])*
            $signed / $encrypted, {
                /// Authenticated user.
                user_id: u64,
                /// Display name.
                name: $name,
                /// Role ids.
                roles: BoundedVec<u16, 5>,
                /// Per-session CSRF secret.
                csrf: [u8; 32],
                /// `(sku, quantity)` pairs.
                cart: $cart,
                /// BCP 47 tag.
                locale: BoundedString<8>,
                /// Unix seconds.
                last_seen: i64,
            }
        );
    };
}

app_shape!(
    /// The ≈120-byte application session (a 24-byte name).
    OurMedium / OurMediumEnc, name: BoundedString<24>, cart: MediumCart
);

app_shape!(
    /// Medium with a 500-byte name and a cart bounded to just fit 4096 bytes
    /// (150 items in the fixture).
    OurLarge / OurLargeEnc, name: BoundedString<500>, cart: LargeCart
);

fn bounded<const N: usize>(s: &str) -> BoundedString<N> {
    BoundedString::try_from(s).expect("fixture fits its bound")
}

fn bounded_vec<T: Clone, const N: usize>(items: &[T]) -> BoundedVec<T, N> {
    BoundedVec::try_from(items).expect("fixture fits its bound")
}

/// Conversions from the peers' plain serde shapes, so both sides encode the same values.
macro_rules! from_peer {
    ($peer:ty => $($ours:ty),+) => {$(
        impl From<&$peer> for $ours {
            fn from(p: &$peer) -> Self {
                Self {
                    user_id: p.user_id,
                    name: bounded(&p.name),
                    roles: bounded_vec(&p.roles),
                    csrf: p.csrf,
                    cart: bounded_vec(&p.cart),
                    locale: bounded(&p.locale),
                    last_seen: p.last_seen,
                }
            }
        }
    )+};
}

from_peer!(Medium => OurMedium, OurMediumEnc);
from_peer!(Large => OurLarge, OurLargeEnc);

/// The same conversion from the small peer shape, for the signed and encrypted variants.
macro_rules! from_small {
    ($($ours:ty),+) => {$(
        impl From<&Small> for $ours {
            fn from(p: &Small) -> Self {
                Self {
                    user_id: p.user_id,
                    csrf: p.csrf,
                    flash_message: p.flash.as_deref().map(bounded),
                }
            }
        }
    )+};
}

from_small!(OurSmall, OurSmallEnc);

/// One configured session type and the fixtures the benchmark times it with.
pub struct Ours<T: CookieSession> {
    /// Built once, like an application does at start-up.
    pub config: SessionConfig<T>,
    /// The fixture value.
    pub data: T,
    /// A never-loaded session holding `data`: `set_cookie` on it writes a new cookie.
    pub fresh: Session<T>,
    /// A session loaded from a valid cookie and then changed (one cart/flag
    /// edit): `set_cookie` on it first checks whether the bytes changed, then writes.
    pub loaded_changed: Session<T>,
    /// The `Cookie` request header carrying `data`'s cookie, as a server holds it.
    pub request: HeaderMap,
    /// The same header's bytes, as the floor receives them.
    pub cookie_header: Vec<u8>,
}

impl<T: CookieSession + Clone + PartialEq + std::fmt::Debug> Ours<T> {
    /// Configures `T` with the benchmark key (first 32 bytes of [`MASTER_KEY`]) and
    /// default settings, and prepares the sessions and request headers.
    ///
    /// `change` is applied to a copy of `data` to make the loaded session differ.
    pub fn new(data: T, change: impl FnOnce(&mut T)) -> Self {
        let key = Key::from_secret(&MASTER_KEY[..32]).expect("32-byte secret");
        let config = SessionConfig::<T>::new(key).expect("default config");

        let mut fresh = Session::<T>::new();
        fresh.set(data.clone());

        let value = config.encode(&data).expect("encode");
        let mut request = HeaderMap::new();
        request.insert(
            COOKIE,
            HeaderValue::from_str(&format!("{}={value}", T::NAME)).expect("header"),
        );
        let loaded = config.load(&request);
        assert_eq!(*loaded, data, "our round trip changed the session");
        assert!(loaded.rejection().is_none(), "{:?}", loaded.status());

        let mut loaded_changed = config.load(&request);
        change(loaded_changed.get_mut());
        assert_ne!(*loaded_changed, data, "the change must change the data");

        let cookie_header = request[COOKIE].as_bytes().to_vec();
        let ours = Self {
            config,
            data,
            fresh,
            loaded_changed,
            request,
            cookie_header,
        };
        // Everything the benchmark times must produce a cookie.
        assert!(ours.set_cookie_fresh().is_some());
        assert!(ours.set_cookie_changed().is_some());
        ours
    }
}

impl<T: CookieSession> Ours<T> {
    /// `config.encode`: the cookie value only (what follows `name=`).
    pub fn encode_value(&self) -> Result<String, StoreError> {
        self.config.encode(&self.data)
    }

    /// `config.store` on a new session: the full `Set-Cookie` header value
    /// (the `HeaderValue` `store` appends).
    pub fn set_cookie_fresh(&self) -> Option<HeaderValue> {
        header_value(self.config.set_cookie(&self.fresh).expect("store"))
    }

    /// `config.store` on a loaded, changed session.
    pub fn set_cookie_changed(&self) -> Option<HeaderValue> {
        header_value(self.config.set_cookie(&self.loaded_changed).expect("store"))
    }

    /// `config.load` from the request headers.
    pub fn load(&self) -> Session<T> {
        self.config.load(&self.request)
    }

    /// `config.set_cookie` on a new session: the `Set-Cookie` text, the
    /// same artifact the floor produces (no `HeaderValue`).
    pub fn set_cookie_string_fresh(&self) -> Option<String> {
        self.config.set_cookie(&self.fresh).expect("store")
    }

    /// `config.load_cookies` from the raw `Cookie` header value,
    /// the same input the floor takes (no `HeaderMap` lookup).
    pub fn load_raw(&self) -> Session<T> {
        self.config.load_cookies([self.cookie_header.as_slice()])
    }

    /// The `name=value` pair of a new cookie: what a browser stores and counts.
    pub fn cookie_pair_len(&self) -> usize {
        let header = self.set_cookie_fresh().expect("cookie due");
        cookie_pair(header.to_str().expect("ascii")).len()
    }
}

/// The change made to loaded sessions before `set_cookie_changed`.
pub trait Change {
    /// Edit one field, as a handler does.
    fn change(&mut self);
}

impl Change for OurSmall {
    fn change(&mut self) {
        self.user_id += 1;
    }
}
impl Change for OurSmallEnc {
    fn change(&mut self) {
        self.user_id += 1;
    }
}
macro_rules! change_cart {
    ($($ty:ty),+) => {$(
        impl Change for $ty {
            fn change(&mut self) {
                if let Some(item) = self.cart.as_mut_slice().first_mut() {
                    item.1 += 1;
                }
            }
        }
    )+};
}
change_cart!(OurMedium, OurMediumEnc, OurLarge, OurLargeEnc);

/// [`Ours::new`] with the shape's [`Change`].
pub fn ours<T, P>(peer_fixture: &P) -> Ours<T>
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a P>,
{
    Ours::new(T::from(peer_fixture), T::change)
}

/// The `HeaderValue` `SessionConfig::store` builds from the `Set-Cookie` text.
fn header_value(text: Option<String>) -> Option<HeaderValue> {
    text.map(|text| HeaderValue::try_from(text).expect("a valid Set-Cookie"))
}
