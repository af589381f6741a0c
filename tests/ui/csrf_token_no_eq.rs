// A CSRF token is a secret: comparing two with `==` would take longer the
// more leading bytes match. `CsrfToken` has no `PartialEq`; `matches`
// compares a submitted token in constant time.
use session_runtime::CsrfToken;

fn main() {
    let session_token = CsrfToken::from([7; 32]);
    let submitted = CsrfToken::from([7; 32]);
    let _ = session_token == submitted;
    let _ = session_token != submitted;
    // The constant-time way compiles:
    let _ = session_token.matches(&submitted.to_base64url());
}
