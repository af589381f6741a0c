//! Arbitrary payload bytes behind a VALID MAC (genuine header, tag computed
//! with the test key): drives postcard and the bounded types' decoders
//! directly. The first byte picks the shape. The runtime and the reference
//! must agree; accepted data must re-encode within its compile-time bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{check_value, forge, genuine, AppSession, ShopSession};

fuzz_target!(|data: &[u8]| {
    let Some((&shape, payload)) = data.split_first() else {
        return;
    };
    if shape & 1 == 0 {
        let value = forge::<AppSession>(&genuine::<AppSession>(), payload);
        check_value::<AppSession>(value.as_bytes());
    } else {
        let value = forge::<ShopSession>(&genuine::<ShopSession>(), payload);
        check_value::<ShopSession>(value.as_bytes());
    }
});
