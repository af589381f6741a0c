//! Arbitrary payload bytes behind a VALID MAC or AEAD tag (genuine header,
//! sealed with the test key): drives postcard and the bounded types'
//! decoders directly. The first byte picks the shape (two signed, one
//! encrypted). The runtime and the reference must agree; accepted data must
//! re-encode within its compile-time bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{
    check_value, forge, genuine, AppSession, EncSession, Shape, ShopSession,
};

fn sealed<T: Shape>(payload: &[u8]) {
    let value = forge::<T>(&genuine::<T>(), payload);
    check_value::<T>(value.as_bytes());
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, payload)) = data.split_first() else {
        return;
    };
    match shape % 3 {
        0 => sealed::<AppSession>(payload),
        1 => sealed::<ShopSession>(payload),
        _ => sealed::<EncSession>(payload),
    }
});
