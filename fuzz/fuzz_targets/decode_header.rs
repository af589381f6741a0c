//! Arbitrary `Cookie` header values (the input split on `\n` into up to 16
//! header lines), loaded for three session shapes (two signed, one
//! encrypted): the runtime must pick the same candidate (at most
//! MAX_CANDIDATE_COOKIES, header order) and report the same status as the
//! reference; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{check_headers, AppSession, EncSession, ShopSession};

fuzz_target!(|data: &[u8]| {
    let headers: Vec<&[u8]> = data.split(|&b| b == b'\n').take(16).collect();
    check_headers::<AppSession>(&headers);
    check_headers::<ShopSession>(&headers);
    check_headers::<EncSession>(&headers);
});
