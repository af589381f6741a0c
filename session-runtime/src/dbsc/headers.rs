//! The DBSC header values ("DBSC Formats"): Structured Field Values
//! (RFC 9651) written by us, and the two request headers read leniently
//! because Chromium 156 sends them as bare text, not as the `sf-string`s the
//! draft specifies (docs/dbsc.md, "The message flow as Chromium 156 implements it").

use core::fmt;

use super::challenge::Challenge;
use super::state::SessionId;
use super::ALGORITHM;

/// A DBSC header value could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// A value to write has characters an `sf-string` cannot carry (only
    /// printable ASCII, RFC 9651 §3.3.3).
    NotPrintableAscii {
        /// Which parameter.
        field: &'static str,
    },
    /// A received header is empty or not the form DBSC defines.
    Malformed {
        /// Which header.
        header: &'static str,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::NotPrintableAscii { field } => write!(
                f,
                "DBSC `{field}` must be printable ASCII to fit a structured-field string"
            ),
            HeaderError::Malformed { header } => write!(f, "malformed `{header}` header"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Appends `value` as an `sf-string` (RFC 9651 §4.1.6): quoted, with `"` and
/// `\` escaped; refuses anything outside printable ASCII.
fn push_sf_string(out: &mut String, field: &'static str, value: &str) -> Result<(), HeaderError> {
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(HeaderError::NotPrintableAscii { field });
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(())
}

/// The `Secure-Session-Registration` value that starts a DBSC session: ES256
/// only, the registration endpoint `path` (relative to the response's URL or
/// absolute), our registration challenge, and optionally an `authorization`
/// value the browser copies into its proof.
///
/// ```
/// use session_runtime::dbsc::{registration_header, Challenge, ChallengePurpose, DbscKey, SessionId};
/// use session_runtime::Key;
///
/// let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
/// let id = SessionId::from_bytes([1; 16]);
/// let challenge = Challenge::issue(&key, ChallengePurpose::Registration, &id, 1_800_000_000);
/// let value = registration_header("/dbsc/register", &challenge, None).unwrap();
/// assert_eq!(value, format!(r#"(ES256);path="/dbsc/register";challenge="{challenge}""#));
/// ```
pub fn registration_header(
    path: &str,
    challenge: &Challenge,
    authorization: Option<&str>,
) -> Result<String, HeaderError> {
    let mut out = String::with_capacity(64 + path.len() + authorization.map_or(0, str::len));
    out.push('(');
    out.push_str(ALGORITHM);
    out.push_str(");path=");
    push_sf_string(&mut out, "path", path)?;
    out.push_str(";challenge=");
    push_sf_string(&mut out, "challenge", challenge.as_str())?;
    if let Some(authorization) = authorization {
        out.push_str(";authorization=");
        push_sf_string(&mut out, "authorization", authorization)?;
    }
    Ok(out)
}

/// The `Secure-Session-Challenge` value for DBSC session `id`: on the 403 of
/// the refresh endpoint (the browser signs it and retries at once), or on any
/// response to be used at the next refresh.
///
/// ```
/// use session_runtime::dbsc::{challenge_header, Challenge, ChallengePurpose, DbscKey, SessionId};
/// use session_runtime::Key;
///
/// let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
/// let id = SessionId::from_bytes([1; 16]);
/// let challenge = Challenge::issue(&key, ChallengePurpose::Refresh, &id, 1_800_000_000);
/// assert_eq!(challenge_header(&challenge, &id), format!(r#""{challenge}";id="{id}""#));
/// ```
pub fn challenge_header(challenge: &Challenge, id: &SessionId) -> String {
    // Both are base64url: printable, nothing to escape.
    format!("\"{challenge}\";id=\"{id}\"")
}

/// The DBSC session id from a `Sec-Secure-Session-Id` request header.
///
/// The draft makes it an `sf-string`; Chromium 156 sends the bare id. Both
/// are accepted, parameters after `;` are ignored as the draft says, and the
/// id must be one of ours (22 characters of base64url).
///
/// ```
/// use session_runtime::dbsc::{parse_session_id_header, SessionId};
///
/// let id = SessionId::from_bytes([1; 16]);
/// assert_eq!(parse_session_id_header(&id.to_string()), Ok(id));
/// assert_eq!(parse_session_id_header(&format!("\"{id}\";x=1")), Ok(id));
/// assert!(parse_session_id_header("s1").is_err());
/// ```
pub fn parse_session_id_header(value: &str) -> Result<SessionId, HeaderError> {
    const HEADER: &str = "Sec-Secure-Session-Id";
    let item = bare_or_quoted(value).ok_or(HeaderError::Malformed { header: HEADER })?;
    SessionId::parse(item).ok_or(HeaderError::Malformed { header: HEADER })
}

/// The proof (JWT) from a `Secure-Session-Response` request header, as an
/// `sf-string` (the draft) or bare (what Chromium 156 sends). Parameters are
/// ignored. Borrowed from `value`: nothing is allocated.
pub fn parse_response_header(value: &str) -> Result<&str, HeaderError> {
    bare_or_quoted(value).ok_or(HeaderError::Malformed {
        header: "Secure-Session-Response",
    })
}

/// The item of a one-item header: a quoted string without escapes (our
/// values never need them), or bare text up to the first `;` or space.
fn bare_or_quoted(value: &str) -> Option<&str> {
    let value = value.trim_matches([' ', '\t']);
    let item = if let Some(rest) = value.strip_prefix('"') {
        let end = rest.find('"')?;
        let (item, after) = (&rest[..end], &rest[end + 1..]);
        if item.contains('\\') || !(after.is_empty() || after.starts_with(';')) {
            return None;
        }
        item
    } else {
        let end = value.find([';', ' ', '\t', ',']).unwrap_or(value.len());
        if value[end..].starts_with(',') {
            return None; // a list: more than one item is not ours to pick from
        }
        &value[..end]
    };
    (!item.is_empty()).then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbsc::{ChallengePurpose, DbscKey};
    use crate::Key;

    fn challenge() -> Challenge {
        let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
        Challenge::issue(
            &key,
            ChallengePurpose::Registration,
            &SessionId::from_bytes([1; 16]),
            5,
        )
    }

    #[test]
    fn registration_header_escapes_and_refuses() {
        let c = challenge();
        assert_eq!(
            registration_header("/r\"eg\\", &c, Some("a b")).unwrap(),
            format!(r#"(ES256);path="/r\"eg\\";challenge="{c}";authorization="a b""#)
        );
        assert_eq!(
            registration_header("/reg\n", &c, None),
            Err(HeaderError::NotPrintableAscii { field: "path" })
        );
        assert_eq!(
            registration_header("/reg", &c, Some("é")),
            Err(HeaderError::NotPrintableAscii {
                field: "authorization"
            })
        );
    }

    #[test]
    fn request_headers_bare_or_quoted() {
        let id = SessionId::from_bytes([9; 16]);
        let text = id.to_string();
        for form in [
            text.clone(),
            format!("\"{text}\""),
            format!(" {text} "),
            format!("{text};a=1"),
            format!("\"{text}\";a=\"b\""),
        ] {
            assert_eq!(parse_session_id_header(&form), Ok(id), "{form:?}");
        }
        for bad in [
            "",
            "\"\"",
            "\"abc",
            &format!("\"{text}\"x"),
            &format!("{text}, {text}"),
            "\"a\\\"b\"",
        ] {
            assert!(parse_session_id_header(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_response_header("eyJ.eyJ.sig"), Ok("eyJ.eyJ.sig"));
        assert_eq!(parse_response_header("\"eyJ.eyJ.sig\""), Ok("eyJ.eyJ.sig"));
        assert!(parse_response_header("  ").is_err());
    }
}
