//! The session-instructions JSON the registration (and optionally refresh)
//! endpoint answers with ("JSON Session Instruction Format").

use serde::Serialize;

use super::state::SessionId;

/// The body that ends a DBSC session: the browser deletes the session and its
/// key and releases deferred requests without the bound cookie ("continue"
/// in "JSON Session Instruction Format"; observed with Chromium 156).
pub const END_SESSION_JSON: &str = r#"{"continue":false}"#;

/// The JSON the registration endpoint returns (with status 200 and the bound
/// cookie's `Set-Cookie`). A refresh response may return it again to change
/// the configuration, or an empty body to keep it (Chromium 156 accepts
/// both; docs/dbsc.md).
///
/// ```
/// use session_runtime::dbsc::{SessionId, SessionInstructions};
///
/// let id = SessionId::from_bytes([1; 16]);
/// let json = SessionInstructions::new(&id, "/dbsc/refresh", "__Host-app-bound",
///                                     "Path=/; Secure; HttpOnly; SameSite=Lax")
///     .exclude_path("/static")
///     .to_json();
/// assert_eq!(json, concat!(
///     r#"{"session_identifier":"AQEBAQEBAQEBAQEBAQEBAQ","refresh_url":"/dbsc/refresh","#,
///     r#""scope":{"include_site":false,"scope_specification":[{"type":"exclude","path":"/static"}]},"#,
///     r#""credentials":[{"type":"cookie","name":"__Host-app-bound","#,
///     r#""attributes":"Path=/; Secure; HttpOnly; SameSite=Lax"}]}"#));
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct SessionInstructions {
    session_identifier: String,
    refresh_url: String,
    scope: Scope,
    credentials: Vec<Credential>,
}

#[derive(Debug, Clone, Serialize)]
struct Scope {
    include_site: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scope_specification: Vec<ScopeRule>,
}

#[derive(Debug, Clone, Serialize)]
struct ScopeRule {
    #[serde(rename = "type")]
    kind: &'static str,
    path: String,
}

#[derive(Debug, Clone, Serialize)]
struct Credential {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    attributes: String,
}

impl SessionInstructions {
    /// Instructions for session `id`: refresh at `refresh_url` (relative to
    /// the registration URL, or absolute), scope the whole origin, and one
    /// bound cookie `cookie_name` whose `attributes` (`Path`, `Domain`,
    /// `Secure`, `HttpOnly`, `SameSite`) must equal those of its `Set-Cookie`,
    /// because the browser matches on them ("Identify if missing session
    /// credential").
    pub fn new(
        id: &SessionId,
        refresh_url: &str,
        cookie_name: &str,
        attributes: &str,
    ) -> SessionInstructions {
        SessionInstructions {
            session_identifier: id.to_string(),
            refresh_url: refresh_url.to_owned(),
            scope: Scope {
                include_site: false,
                scope_specification: Vec::new(),
            },
            credentials: vec![Credential {
                kind: "cookie",
                name: cookie_name.to_owned(),
                attributes: attributes.to_owned(),
            }],
        }
    }

    /// Excludes paths starting with `path` from the session: the browser
    /// neither waits for nor triggers a refresh for them (static assets,
    /// public pages). Checked by Chromium 156 (docs/dbsc.md).
    pub fn exclude_path(mut self, path: &str) -> SessionInstructions {
        self.scope.scope_specification.push(ScopeRule {
            kind: "exclude",
            path: path.to_owned(),
        });
        self
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings and booleans always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn escapes_hostile_text_and_keeps_the_shape() {
        let id = SessionId::from_bytes([0; 16]);
        let json = SessionInstructions::new(&id, "/r\"\\\u{1}", "n\"", "Path=/\n")
            .exclude_path("/a\"b")
            .to_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["session_identifier"], id.to_string());
        assert_eq!(v["refresh_url"], "/r\"\\\u{1}");
        assert_eq!(v["credentials"][0]["type"], "cookie");
        assert_eq!(v["credentials"][0]["name"], "n\"");
        assert_eq!(v["credentials"][0]["attributes"], "Path=/\n");
        assert_eq!(v["scope"]["scope_specification"][0]["path"], "/a\"b");
        assert_eq!(v["scope"]["include_site"], false);
        let end: Value = serde_json::from_str(END_SESSION_JSON).unwrap();
        assert_eq!(end["continue"], false);
    }
}
