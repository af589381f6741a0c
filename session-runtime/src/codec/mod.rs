//! The pure codec: cookie value ⇄ authenticated header and payload bytes.
//!
//! Nothing here knows about `http` types, requests or configuration builders,
//! so it builds for `wasm32-unknown-unknown` (docs/architecture.md). A request
//! goes through it top-down: [`Codec::parse`] (cheap checks) →
//! [`Codec::verify`] (MAC or AEAD) → [`Timeouts::check`] → [`payload`];
//! a response through [`payload::serialize`] → [`Codec::seal`] →
//! [`scratch::encode_into`].

pub(crate) mod chunks;
pub(crate) mod envelope;
pub(crate) mod expiry;
pub(crate) mod header;
pub(crate) mod hmac_sha256;
pub(crate) mod payload;
pub(crate) mod scratch;

#[cfg(feature = "encrypted")]
pub(crate) mod aes_gcm_siv;

use crate::key::{Key, KeyId, KeyRole};
use crate::reject::Rejection;

pub use envelope::{base64url_len, max_cookie_len, Envelope};
pub(crate) use envelope::{RandomnessUnavailable, Seal};
pub(crate) use header::{
    fingerprint_hint, wire_precision, Header, EPOCH_UNIX_MS, HEADER_LEN, MAX_START_SEQ,
};

/// The length cap and canonical base64url steps of the decode order: `value`
/// decoded into `buf`; the decoded length.
#[inline(always)]
pub(crate) fn decode_value(
    value: &[u8],
    max_value_len: usize,
    buf: &mut [u8],
) -> Result<usize, Rejection> {
    if value.len() > max_value_len {
        return Err(Rejection::TooLong {
            len: value.len(),
            max: max_value_len,
        });
    }
    scratch::decode_canonical(value, buf).ok_or(Rejection::NotBase64)
}

/// One configured key, prepared for one session type's envelope, name and
/// current schema.
struct PreparedKey<E> {
    id: KeyId,
    role: KeyRole,
    envelope: E,
    /// Kept to prepare the envelope for an older schema's fingerprint
    /// (`migrate_from` cookies), which the prefix binds.
    key: Key,
}

/// Every key of one configuration, signing key first.
pub(crate) struct Codec<E> {
    keys: Vec<PreparedKey<E>>,
    cookie_name: &'static str,
    fingerprint: u64,
}

/// A candidate that passed [`Codec::parse`]: its header is known and names a
/// configured key and a readable version; its MAC is not yet checked.
///
/// It keeps the header's bytes, not a decoded [`Header`]: the fields are read
/// where they are needed (moving the decoded struct between the stages cost
/// store-forwarding stalls on every load, perf).
#[derive(Clone, Copy)]
pub(crate) struct Parsed {
    header_bytes: [u8; HEADER_LEN],
    raw_len: usize,
    /// The key with the header's id (ids are unique within a configuration).
    key_index: usize,
    /// The full fingerprint of the header's version, bound by the MAC.
    fingerprint: u64,
}

/// A cookie that authenticated (and, when encrypted, decrypted).
pub(crate) struct Opened<'buf> {
    pub header: Header,
    pub payload: &'buf [u8],
    pub seal: Seal,
    /// Index of the key that verified it (0 = the signing key).
    pub key_index: usize,
    pub key_role: KeyRole,
}

impl<E: Envelope> Codec<E> {
    /// Prepares `keys` (the signing key first) for cookies named
    /// `cookie_name` of the schema with `fingerprint`.
    pub fn new(keys: &[(&Key, KeyRole)], cookie_name: &'static str, fingerprint: u64) -> Codec<E> {
        Codec {
            keys: keys
                .iter()
                .map(|&(key, role)| PreparedKey {
                    id: key.id(),
                    role,
                    envelope: E::prepare(key, cookie_name, fingerprint),
                    key: key.clone(),
                })
                .collect(),
            cookie_name,
            fingerprint,
        }
    }

    /// The id of the key that signs or encrypts.
    pub fn signing_key_id(&self) -> KeyId {
        self.keys[0].id
    }

    /// The id and role of the key at `index` (0 = the signing key).
    pub fn key(&self, index: usize) -> (KeyId, KeyRole) {
        let key = &self.keys[index];
        (key.id, key.role)
    }

    /// Every configured key's id and role, signing key first.
    pub fn keys(&self) -> impl Iterator<Item = (KeyId, KeyRole)> + '_ {
        self.keys.iter().map(|key| (key.id, key.role))
    }

    /// The cheap checks before any MAC, in the documented order: length cap,
    /// canonical base64url (decoded into `buf`), minimum length, format byte,
    /// key lookup, readable version (`fingerprint_for` gives the version's
    /// full fingerprint, which the MAC binds). A candidate that fails here
    /// costs no MAC, which is what lets the loader examine many planted
    /// cookies cheaply.
    #[inline(always)]
    pub fn parse(
        &self,
        value: &[u8],
        max_value_len: usize,
        buf: &mut [u8],
        fingerprint_for: impl Fn(u16) -> Option<u64>,
    ) -> Result<Parsed, Rejection> {
        let raw_len = decode_value(value, max_value_len, buf)?;
        self.parse_raw(&buf[..raw_len], fingerprint_for)
    }

    /// [`parse`](Self::parse) after the base64url step: the checks on the
    /// raw envelope bytes (a chunked session's reassembled envelope).
    #[inline(always)]
    pub fn parse_raw(
        &self,
        raw: &[u8],
        fingerprint_for: impl Fn(u16) -> Option<u64>,
    ) -> Result<Parsed, Rejection> {
        let raw_len = raw.len();
        if raw_len < E::OVERHEAD {
            return Err(Rejection::Truncated { len: raw_len });
        }
        let header_bytes: [u8; HEADER_LEN] = raw[..HEADER_LEN].try_into().expect("length checked");
        let format = Header::format_of(&header_bytes);
        if format != E::FORMAT {
            return Err(Rejection::UnknownFormat { format });
        }
        let key_id = Header::key_id_of(&header_bytes);
        let key_index = self
            .keys
            .iter()
            .position(|key| key.id == key_id)
            .ok_or(Rejection::UnknownKey { key_id })?;
        // Without the version's fingerprint the MAC cannot even be computed:
        // this reason comes from the unauthenticated header (nothing of the
        // cookie is used).
        let version = Header::version_of(&header_bytes);
        let fingerprint = fingerprint_for(version).ok_or(Rejection::WrongVersion {
            found: version,
            expected: 0,
        })?;
        Ok(Parsed {
            header_bytes,
            raw_len,
            key_index,
            fingerprint,
        })
    }

    /// The constant-time MAC check (or AEAD decryption) of a parsed candidate
    /// whose decoded bytes are in `buf`, with the key of the header's id,
    /// spending one of `macs_left`. `Err(None)`: the budget was spent before
    /// the check. Nothing is deserialized here.
    #[inline(always)]
    pub fn verify<'buf>(
        &self,
        parsed: Parsed,
        buf: &'buf mut [u8],
        macs_left: &mut usize,
    ) -> Result<Opened<'buf>, Option<Rejection>> {
        if *macs_left == 0 {
            return Err(None);
        }
        *macs_left -= 1;
        let key = &self.keys[parsed.key_index];
        let raw = &mut buf[..parsed.raw_len];
        let opened = if parsed.fingerprint == self.fingerprint {
            key.envelope.open(raw)
        } else {
            E::prepare(&key.key, self.cookie_name, parsed.fingerprint).open(raw)
        };
        if !opened {
            // The struct changed without a version bump (or the hint was
            // forged): a different fingerprint hint names the likelier cause.
            let hint = Header::from_bytes(&parsed.header_bytes).fingerprint_hint;
            if hint != fingerprint_hint(parsed.fingerprint) {
                return Err(Some(Rejection::SchemaMismatch {
                    found: u64::from(hint),
                    expected: parsed.fingerprint,
                }));
            }
            return Err(Some(Rejection::BadSignature));
        }
        let (payload, seal) = E::split(&buf[HEADER_LEN..parsed.raw_len]);
        Ok(Opened {
            header: Header::from_bytes(&parsed.header_bytes),
            payload,
            seal,
            key_index: parsed.key_index,
            key_role: key.role,
        })
    }

    /// Where the payload starts in the raw envelope.
    pub const fn payload_offset() -> usize {
        HEADER_LEN + E::NONCE_LEN
    }

    /// Writes `header` and seals the payload already at
    /// `raw[payload_offset()..][..payload_len]` with the key at `key_index`
    /// (whose id the header carries); returns the envelope length.
    pub fn seal(
        &self,
        raw: &mut [u8],
        payload_len: usize,
        header: &Header,
        key_index: usize,
    ) -> Result<usize, RandomnessUnavailable> {
        debug_assert_eq!(header.key_id, self.keys[key_index].id);
        raw[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        self.keys[key_index].envelope.seal(raw, payload_len)
    }

    /// Whether `payload` equals the payload sealed in the cookie that had
    /// `header` and `seal` under the key at `key_index` (then re-sending is
    /// pointless). Constant-time, like the MAC check.
    pub fn seals_equal(
        &self,
        key_index: usize,
        header: &Header,
        seal: &Seal,
        payload: &[u8],
    ) -> bool {
        self.keys[key_index]
            .envelope
            .seals_equal(&header.to_bytes(), seal, payload)
    }
}
