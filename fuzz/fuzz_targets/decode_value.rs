//! An arbitrary cookie value (what follows `name=`), for two session shapes:
//! the first input byte picks the shape, the rest is the value. The runtime
//! and the reference decoder must agree; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{check_value, AppSession, ShopSession};

fuzz_target!(|data: &[u8]| {
    let Some((&shape, value)) = data.split_first() else {
        return;
    };
    if shape & 1 == 0 {
        check_value::<AppSession>(value);
    } else {
        check_value::<ShopSession>(value);
    }
});
