//! Structure-aware: arbitrary VALID session data, a header that is usually
//! genuine (sometimes a field replaced, timestamps around every deadline),
//! signed with the test key; then edits to the decoded envelope, optionally
//! re-signed (so edits reach the version, time and payload checks behind the
//! MAC), then edits to the text. The runtime and the reference must agree,
//! and an unedited genuine cookie must be accepted with its data.
#![no_main]

use arbitrary::Unstructured;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use session_runtime_fuzz::{
    arbitrary_header, check_value, current, genuine, AppSession, Binding, Edit, Shape, ShopSession,
};

fn run<T: Shape>(u: &mut Unstructured) -> arbitrary::Result<()> {
    let data = T::arbitrary_data(u)?;
    let payload = postcard::to_allocvec(&data).unwrap();
    let header = arbitrary_header::<T>(u)?;
    let mut raw = current().seal(&Binding::of::<T>(), &header, &payload);
    let raw_edits: Vec<Edit> = (0..u.int_in_range(0..=3u8)?)
        .map(|_| u.arbitrary())
        .collect::<arbitrary::Result<_>>()?;
    for edit in &raw_edits {
        edit.apply(&mut raw);
    }
    if !raw_edits.is_empty() && u.arbitrary()? {
        current().resign(&Binding::of::<T>(), &mut raw);
    }
    let mut text = URL_SAFE_NO_PAD.encode(&raw).into_bytes();
    let text_edits: Vec<Edit> = (0..u.int_in_range(0..=2u8)?)
        .map(|_| u.arbitrary())
        .collect::<arbitrary::Result<_>>()?;
    for edit in &text_edits {
        edit.apply(&mut text);
    }
    let accepted = check_value::<T>(&text);
    if raw_edits.is_empty() && text_edits.is_empty() && header == genuine::<T>() {
        assert!(accepted, "a genuine cookie was refused");
        assert_eq!(*T::config().decode(&text).unwrap(), data);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        run::<ShopSession>(&mut u)
    } else {
        run::<AppSession>(&mut u)
    };
});
