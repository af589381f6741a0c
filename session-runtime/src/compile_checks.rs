//! The `const fn`s behind the derive's compile-time checks: a check that fails
//! panics during constant evaluation, and rustc shows the panic message as the
//! compile error, at the span of the generated `const _: () = check(...);`
//! item. Reached only through `__private`; the messages are pinned by the ui
//! tests in `tests/ui`.

use session_cookie_rules::{
    fits_partition, BROWSER_COOKIE_LIMIT, PARTITION_COOKIE_LIMIT, PARTITION_NAME_VALUE_LIMIT,
};

/// Fails compilation unless `older` can migrate into `newer`: same cookie
/// name, same protection, strictly older version.
#[allow(clippy::too_many_arguments)]
pub const fn assert_migration(
    newer: &str,
    newer_name: &str,
    newer_version: u16,
    newer_encrypted: bool,
    newer_chunks: usize,
    older: &str,
    older_name: &str,
    older_version: u16,
    older_encrypted: bool,
    older_chunks: usize,
) {
    let mut message = ConstMessage::new();
    message.push_str("`migrate_from`: `");
    message.push_str(older);
    if older_version >= newer_version {
        message.push_str("` has version ");
        message.push_number(older_version as usize);
        message.push_str(", which is not older than version ");
        message.push_number(newer_version as usize);
        message.push_str(" of `");
        message.push_str(newer);
        message.push_str("`; each session version must be unique and increase");
        panic!("{}", message.as_str());
    }
    if !bytes_equal(newer_name.as_bytes(), older_name.as_bytes()) {
        message.push_str("` uses the cookie name `");
        message.push_str(older_name);
        message.push_str("` but `");
        message.push_str(newer);
        message.push_str("` uses `");
        message.push_str(newer_name);
        message
            .push_str("`; the MAC binds a cookie to its name, so a migration needs the same name");
        panic!("{}", message.as_str());
    }
    if newer_encrypted != older_encrypted {
        message.push_str("` and `");
        message.push_str(newer);
        message.push_str(
            "` differ in `encrypted`; a migration cannot change how cookies are protected",
        );
        panic!("{}", message.as_str());
    }
    if (newer_chunks > 1) != (older_chunks > 1) || older_chunks > newer_chunks {
        message.push_str("` is spread over up to ");
        message.push_number(older_chunks);
        message.push_str(" cookie(s) and `");
        message.push_str(newer);
        message.push_str("` over up to ");
        message.push_number(newer_chunks);
        message.push_str(
            "; a migration cannot turn chunking on or off (the envelope formats differ), nor use \
             fewer chunks than the older session",
        );
        panic!("{}", message.as_str());
    }
}

const fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The payload bound of a session: its stored fields' bounds added up
/// (saturating, so a monstrous bound reports `usize::MAX` in the budget error
/// instead of an overflow inside generated code).
pub const fn sum_lens(fields: &[(&str, usize)]) -> usize {
    let mut total: usize = 0;
    let mut i = 0;
    while i < fields.len() {
        total = total.saturating_add(fields[i].1);
        i += 1;
    }
    total
}

/// How many fields the over-budget message names.
const LARGEST_SHOWN: usize = 3;

/// Fails compilation (when evaluated in a `const _: () = ...;` item) if the
/// session's largest cookie exceeds its budget, with both numbers and the
/// fields that contribute most (`fields` holds each stored field's name and
/// largest encoding).
pub const fn assert_cookie_fits(
    type_name: &str,
    max_cookie_len: usize,
    budget: usize,
    fields: &[(&str, usize)],
) {
    if max_cookie_len <= budget {
        return;
    }
    let mut message = ConstMessage::new();
    message.push_str("session `");
    message.push_str(type_name);
    message.push_str("` can reach ");
    message.push_number(max_cookie_len);
    message.push_str(" bytes as a cookie, budget ");
    message.push_number(budget);
    message.push_str(" (browsers drop a cookie whose name + value exceed ");
    message.push_number(BROWSER_COOKIE_LIMIT);
    message.push_str(" bytes)");
    push_largest_fields(&mut message, fields);
    message.push_str(
        "; lower a bound such as BoundedString<N> or BoundedVec<T, N>, or remove a field",
    );
    panic!("{}", message.as_str());
}

/// Fails compilation (when evaluated in a `const _: () = ...;` item) if a
/// chunked session's largest envelope (`max_envelope_len` bytes: header,
/// payload bound, tag) does not fit its `chunks` cookies of at most `budget`
/// bytes each (docs/wire-format.md, "Chunked sessions"), naming the
/// capacity and the fields that contribute most.
pub const fn assert_chunks_fit(
    type_name: &str,
    name_len: usize,
    budget: usize,
    chunks: usize,
    max_envelope_len: usize,
    fields: &[(&str, usize)],
) {
    if crate::codec::chunks::chunk_count(name_len, budget, chunks, max_envelope_len).is_some() {
        return;
    }
    let mut capacity = 0;
    let mut index = 0;
    while index < chunks {
        capacity += crate::codec::chunks::piece_capacity(name_len, budget, chunks, index);
        index += 1;
    }
    let mut message = ConstMessage::new();
    message.push_str("session `");
    message.push_str(type_name);
    message.push_str("` can reach ");
    message.push_number(max_envelope_len);
    message.push_str(" bytes before base64 (header, payload, tag), more than its chunks = ");
    message.push_number(chunks);
    message.push_str(" cookies of at most ");
    message.push_number(budget);
    message.push_str(" bytes each can hold (");
    message.push_number(capacity);
    message.push_str(" bytes)");
    push_largest_fields(&mut message, fields);
    message.push_str(
        "; raise `chunks` (at most 8), lower a bound such as BoundedString<N> or BoundedVec<T, N>, or remove a field",
    );
    panic!("{}", message.as_str());
}

/// Fails compilation (when evaluated in a `const _: () = ...;` item) if a
/// `partitioned` session's cookies, `cookies` of them with
/// `total_name_value_len` bytes of `len(name) + len(value)` at most, can
/// exceed what Chromium keeps of one site in one CHIPS partition
/// (`session_cookie_rules::fits_partition`): past it Chromium evicts the
/// partition's least recently used cookies, so part of the session would
/// silently disappear. The derive passes the largest cookie and a count of 1.
pub const fn assert_partition_fits(type_name: &str, total_name_value_len: usize, cookies: usize) {
    if fits_partition(total_name_value_len, cookies) {
        return;
    }
    let mut message = ConstMessage::new();
    message.push_str("partitioned session `");
    message.push_str(type_name);
    message.push_str("` can reach ");
    message.push_number(total_name_value_len);
    message.push_str(" bytes in ");
    message.push_number(cookies);
    message.push_str(" cookie(s), but Chromium keeps at most ");
    message.push_number(PARTITION_NAME_VALUE_LIMIT);
    message.push_str(" bytes (name + value) and ");
    message.push_number(PARTITION_COOKIE_LIMIT);
    message.push_str(
        " cookies of one site per partition and evicts the least recently used beyond that; \
         lower a bound such as BoundedString<N> or BoundedVec<T, N>, or remove a field",
    );
    panic!("{}", message.as_str());
}

/// `; largest fields (encoded, before base64): a ≤ 3002 B, b ≤ 25 B`: up to
/// [`LARGEST_SHOWN`] fields, largest first (ties in declaration order), leaving
/// out fields that encode to nothing.
const fn push_largest_fields(message: &mut ConstMessage, fields: &[(&str, usize)]) {
    let mut shown = [usize::MAX; LARGEST_SHOWN];
    let mut count = 0;
    while count < LARGEST_SHOWN {
        // The largest field not shown yet; the first of equals wins.
        let mut best = usize::MAX;
        let mut i = 0;
        while i < fields.len() {
            let already = {
                let mut j = 0;
                let mut found = false;
                while j < count {
                    found |= shown[j] == i;
                    j += 1;
                }
                found
            };
            if !already && fields[i].1 > 0 && (best == usize::MAX || fields[i].1 > fields[best].1) {
                best = i;
            }
            i += 1;
        }
        if best == usize::MAX {
            break;
        }
        message.push_str(if count == 0 {
            "; largest fields (encoded, before base64): "
        } else {
            ", "
        });
        message.push_str(fields[best].0);
        message.push_str(" ≤ ");
        message.push_number(fields[best].1);
        message.push_str(" B");
        shown[count] = best;
        count += 1;
    }
}

/// A fixed buffer to render a compile-time panic message (const fns cannot
/// use `format!`). Text that does not fit is cut at a character boundary.
struct ConstMessage {
    bytes: [u8; 1024],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage {
            bytes: [0; 1024],
            len: 0,
        }
    }

    const fn push_str(&mut self, text: &str) {
        let text = text.as_bytes();
        let room = self.bytes.len() - self.len;
        let mut end = if text.len() < room { text.len() } else { room };
        // Never split a multi-byte character: back up over continuation bytes.
        while end > 0 && end < text.len() && text[end] & 0xC0 == 0x80 {
            end -= 1;
        }
        let mut i = 0;
        while i < end {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
    }

    const fn push_number(&mut self, mut value: usize) {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (value % 10) as u8;
            count += 1;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
    }

    const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            // Unreachable: `push_str` cuts at character boundaries and digits
            // are ASCII. A message is still better than a second panic.
            Err(_) => "a session failed a compile-time check",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate() {
        assert_eq!(sum_lens(&[("a", 3), ("b", 4)]), 7);
        assert_eq!(sum_lens(&[]), 0);
        assert_eq!(sum_lens(&[("a", usize::MAX), ("b", 4)]), usize::MAX);
    }

    fn largest(fields: &[(&str, usize)]) -> String {
        let mut message = ConstMessage::new();
        push_largest_fields(&mut message, fields);
        message.as_str().to_owned()
    }

    #[test]
    fn names_up_to_three_largest_fields_in_order() {
        assert_eq!(
            largest(&[("a", 11), ("b", 3002), ("c", 0), ("d", 25), ("e", 25)]),
            "; largest fields (encoded, before base64): b ≤ 3002 B, d ≤ 25 B, e ≤ 25 B"
        );
        assert_eq!(
            largest(&[("only", 9)]),
            "; largest fields (encoded, before base64): only ≤ 9 B"
        );
        assert_eq!(largest(&[("zero", 0)]), "");
        assert_eq!(largest(&[]), "");
    }

    #[test]
    fn a_partition_holds_10240_bytes_and_180_cookies() {
        // The derive's case: one cookie at the browser limit.
        assert_partition_fits("One", BROWSER_COOKIE_LIMIT, 1);
        assert_partition_fits("Edge", PARTITION_NAME_VALUE_LIMIT, PARTITION_COOKIE_LIMIT);
        let over = std::panic::catch_unwind(|| {
            assert_partition_fits("Three", 3 * BROWSER_COOKIE_LIMIT, 3);
        });
        let message = *over.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(
            message,
            "partitioned session `Three` can reach 12288 bytes in 3 cookie(s), but Chromium keeps \
             at most 10240 bytes (name + value) and 180 cookies of one site per partition and \
             evicts the least recently used beyond that; lower a bound such as BoundedString<N> \
             or BoundedVec<T, N>, or remove a field"
        );
        assert!(std::panic::catch_unwind(|| assert_partition_fits("Many", 181, 181)).is_err());
    }

    #[test]
    fn truncates_at_a_character_boundary() {
        let mut message = ConstMessage::new();
        message.push_str(&"x".repeat(1023));
        message.push_str("≤");
        assert_eq!(message.as_str().len(), 1023);
        message.push_str("y");
        assert_eq!(message.as_str().len(), 1024);
        message.push_number(7);
        assert_eq!(message.as_str().len(), 1024);
    }
}
