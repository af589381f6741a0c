//! The request's `Cookie` header values, as a slot keeps them until the
//! first handle loads the session: the framework's own values, cloned (a
//! reference count, never a copy of the bytes), and held inline for the one
//! header browsers send over HTTP/1.1. HTTP/2 may send one header per cookie
//! (RFC 9113 §8.2.3); several go into a `Vec`. The allocation of a `Vec` for
//! every request cost 41–54 ns, and copying actix-web's (`http` 0.2) values
//! into `http` 1.x ones 33 ns more (BENCHMARKS.md as of commit `96b0bbd`).

use http::HeaderValue;

#[cfg(feature = "actix")]
use actix_web::http::header::HeaderValue as ActixValue;

/// The `Cookie` header values of one request.
#[derive(Clone)]
pub(crate) enum Cookies {
    /// `http` 1.x values (tower, axum, and `SessionSlot::new`).
    Http(Values<HeaderValue>),
    /// actix-web 4's own (`http` 0.2) values.
    #[cfg(feature = "actix")]
    Actix(Values<ActixValue>),
}

/// None, one inline, or several.
#[derive(Clone)]
pub(crate) enum Values<V> {
    None,
    One(V),
    Many(Vec<V>),
}

impl<V> Values<V> {
    /// The values of `iter`, in order.
    pub(crate) fn collect(iter: impl IntoIterator<Item = V>) -> Values<V> {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Values::None;
        };
        match iter.next() {
            None => Values::One(first),
            Some(second) => {
                let mut all = Vec::with_capacity(2 + iter.size_hint().0);
                all.extend([first, second]);
                all.extend(iter);
                Values::Many(all)
            }
        }
    }

    /// The value at `index`.
    fn get(&self, index: usize) -> Option<&V> {
        match self {
            Values::None => None,
            Values::One(value) => (index == 0).then_some(value),
            Values::Many(values) => values.get(index),
        }
    }
}

impl Cookies {
    /// The header values' bytes, in order.
    pub(crate) fn bytes(&self) -> CookieBytes<'_> {
        CookieBytes {
            cookies: self,
            next: 0,
        }
    }
}

/// The iterator of [`Cookies::bytes`].
pub(crate) struct CookieBytes<'a> {
    cookies: &'a Cookies,
    next: usize,
}

impl<'a> Iterator for CookieBytes<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let bytes = match self.cookies {
            Cookies::Http(values) => values.get(self.next)?.as_bytes(),
            #[cfg(feature = "actix")]
            Cookies::Actix(values) => values.get(self.next)?.as_bytes(),
        };
        self.next += 1;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(cookies: &Cookies) -> Vec<&[u8]> {
        cookies.bytes().collect()
    }

    #[test]
    fn none_one_or_many_in_order() {
        let value = |text: &'static str| HeaderValue::from_static(text);
        let none = Cookies::Http(Values::collect([]));
        assert!(matches!(none, Cookies::Http(Values::None)));
        assert!(bytes(&none).is_empty());
        let one = Cookies::Http(Values::collect([value("a=1")]));
        assert!(matches!(one, Cookies::Http(Values::One(_))));
        assert_eq!(bytes(&one), [b"a=1"]);
        let many = Cookies::Http(Values::collect([value("a=1"), value("b=2"), value("c=3")]));
        assert_eq!(bytes(&many), [b"a=1", b"b=2", b"c=3"]);
    }
}
