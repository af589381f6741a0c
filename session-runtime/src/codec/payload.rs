//! The payload: the session struct in postcard's stable wire format.

use crate::reject::{PayloadError, Rejection};

/// serde refused to serialize, or the payload did not fit its bound.
pub(crate) enum SerializeError {
    /// The encoding is longer than the room given (the compile-time bound).
    BufferFull,
    /// serde or a custom `Serialize` impl failed.
    Serde(postcard::Error),
}

/// Serializes `data` into `out`; returns the payload length.
pub(crate) fn serialize<T: serde::Serialize>(
    data: &T,
    out: &mut [u8],
) -> Result<usize, SerializeError> {
    match postcard::to_slice(data, out) {
        Ok(written) => Ok(written.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(SerializeError::BufferFull),
        Err(err) => Err(SerializeError::Serde(err)),
    }
}

/// Deserializes an authenticated payload; trailing bytes are an error, so a
/// payload has exactly one meaning. Allocates only what the typed value holds.
#[inline(always)]
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, Rejection> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((data, [])) => Ok(data),
        Ok((_, rest)) => Err(Rejection::Payload {
            reason: PayloadError::TrailingBytes { count: rest.len() },
        }),
        Err(err) => Err(Rejection::Payload {
            reason: PayloadError::from_postcard(&err),
        }),
    }
}
