//! An arbitrary cookie value (what follows `name=`), for three session
//! shapes (two signed, one encrypted): the first input byte picks the shape,
//! the rest is the value. The runtime
//! and the reference decoder must agree; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{check_value, AppSession, EncSession, ShopSession};

fuzz_target!(|data: &[u8]| {
    let Some((&shape, value)) = data.split_first() else {
        return;
    };
    match shape % 3 {
        0 => check_value::<AppSession>(value),
        1 => check_value::<ShopSession>(value),
        _ => check_value::<EncSession>(value),
    };
});
