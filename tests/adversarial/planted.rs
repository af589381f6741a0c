//! Several cookies of one name: planted junk and older sessions never hide
//! the genuine one; huge headers cost work bounded by the candidate limit.
//! The reference decoder agrees with the runtime on valid cookies.

use std::fmt::Debug;
use std::time::Duration;

use session_runtime::limits::{MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
use session_runtime::{CookieSession, LoadStatus};
use session_tests::reference::{
    b64, body, reference_base64, Binding, Forger, Header, Mode, HEADER_LEN,
};
use session_tests::{issue, secret, shop_sample, AppSession, Tiny};

use crate::ctx::Ctx;
use crate::report::Report;
use crate::{app_sample, at_budget_sample, enc_sample};

// --- planted candidates: junk and older sessions never hide the genuine one ---

/// The browser sends `planted` cookies of the session's name around the
/// genuine one (before it, as a longer `Path` would, or after it). Each planted
/// cookie counts as rejected when the genuine session is what loads.
fn planted_case<T: CookieSession + Clone + PartialEq + Debug>(
    report: &mut Report,
    ctx: &Ctx<T>,
    category: &str,
    planted: &[String],
    genuine: &str,
    expected: &T,
) {
    for before in [true, false] {
        let mut values: Vec<&str> = planted.iter().map(String::as_str).collect();
        if before {
            values.push(genuine);
        } else {
            values.insert(0, genuine);
        }
        let header = values
            .iter()
            .map(|value| format!("{}={value}", T::NAME))
            .collect::<Vec<_>>()
            .join("; ");
        let session = ctx.config.load_cookies([header.as_bytes()]);
        for junk in planted {
            let outcome = if session.status() == &LoadStatus::Valid && &*session == expected {
                Ok(("planted_not_chosen", true))
            } else {
                Err(format!(
                    "{} planted ({}): loaded {:?}",
                    planted.len(),
                    if before { "first" } else { "last" },
                    session.status()
                ))
            };
            report.record(ctx.label, category, junk.as_bytes(), outcome);
        }
    }
}

#[test]
fn planted_candidates_never_hide_or_replace_the_genuine_session() {
    let mut report = Report::new("AppSession: planted same-name candidates");
    let ctx = Ctx::<AppSession>::new("AppSession", 1, &[2]);
    let forger = Forger::new(&secret(1));
    let genuine = issue(&ctx.config, app_sample());
    let raw = reference_base64(genuine.as_bytes()).unwrap();
    let header = Header::parse(&raw);
    let payload = body(Mode::Signed, &raw);
    // Up to MAX_VERIFIED_CANDIDATES - 1 well-formed planted cookies can precede
    // the genuine one; 16 is the documented promise.
    let counts = [1, 4, 16, MAX_VERIFIED_CANDIDATES - 1];
    let category = "planted forgeries (well-formed, bad MAC)";
    for count in counts {
        let forgeries: Vec<String> = (0..count)
            .map(|i| {
                let mut raw = raw.clone();
                let at = HEADER_LEN + i % (raw.len() - HEADER_LEN);
                raw[at] ^= 0x5a;
                b64(&raw)
            })
            .collect();
        planted_case(
            &mut report,
            &ctx,
            category,
            &forgeries,
            &genuine,
            &app_sample(),
        );
    }
    report.note(
        category,
        "1, 4, 16, 19 forgeries of the genuine cookie, before and after it",
    );
    let category = "planted cookies of unknown keys";
    for count in counts {
        let unknown_keys: Vec<String> = (0..count)
            .map(|i| {
                Forger::new(&secret(100 + i as u8)).forge(
                    &Binding::of::<AppSession>(),
                    &header,
                    payload,
                )
            })
            .collect();
        planted_case(
            &mut report,
            &ctx,
            category,
            &unknown_keys,
            &genuine,
            &app_sample(),
        );
    }
    report.note(
        category,
        "1, 4, 16, 19 cookies signed with keys the server does not have",
    );
    // Authentic cookies of sessions that started earlier (an attacker's own
    // session planted before the victim's login): the newest session wins.
    let category = "planted authentic older sessions";
    let other_data = postcard::to_allocvec(&AppSession::default()).unwrap();
    for count in counts {
        let older: Vec<String> = (0..count)
            .map(|i| {
                let mut other = header;
                other.created = header.created - (i as u32 + 1);
                forger.forge(&Binding::of::<AppSession>(), &other, &other_data)
            })
            .collect();
        planted_case(&mut report, &ctx, category, &older, &genuine, &app_sample());
    }
    report.note(
        category,
        "1, 4, 16, 19 genuine cookies (same key, other data) of sessions started 1 s … 19 s earlier",
    );
    let category = "planted malformed values (no MAC spent)";
    let junk: Vec<String> = (0..MAX_CANDIDATE_COOKIES - 1)
        .map(|i| ["%%", "AAAA", "", "QUJD"][i % 4].to_owned())
        .collect();
    planted_case(&mut report, &ctx, category, &junk, &genuine, &app_sample());
    report.note(
        category,
        "31 values failing the cheap checks (not base64, truncated), before and after the genuine cookie",
    );
    report.finish();
}

// --- huge headers: work bounded by MAX_CANDIDATE_COOKIES, not by input -------

/// Header values handed to the runtime one by one, counting how many it pulls.
fn counted<'a>(
    headers: &'a [Vec<u8>],
    pulled: &'a std::cell::Cell<usize>,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers.iter().map(move |h| {
        pulled.set(pulled.get() + 1);
        &h[..]
    })
}

#[test]
fn huge_headers_and_many_cookies_are_bounded_by_the_candidate_limit() {
    let ctx = Ctx::<AppSession>::new("AppSession", 1, &[]);
    let name = AppSession::NAME;
    let valid = issue(&ctx.config, app_sample());
    let bogus = b64(&vec![0u8; Mode::Signed.overhead()]); // decodes, format byte 0
    let mut lines = Vec::new();
    let mb = 1 << 20;

    // One 1 MB value: refused on its length before any decoding.
    let huge = format!("{name}={}", "A".repeat(mb));
    let s = ctx.config.load_cookies([huge.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("too_long"));
    lines.push("1 MB value under the session name: too_long".to_owned());

    // 1 MB of other cookies, the session cookie last: found and valid.
    let filler = "x=0123456789abcdef; ".repeat(mb / 20);
    let header = format!("{filler}{name}={valid}");
    assert!(header.len() > mb);
    let s = ctx.config.load_cookies([header.as_bytes()]);
    assert_eq!(s.status(), &LoadStatus::Valid);
    assert_eq!(*s, app_sample());
    lines.push("1 MB of other cookies, then the session cookie: valid".to_owned());

    // 10,000 same-name cookies in one header, the valid one at position k:
    // only the first MAX_CANDIDATE_COOKIES are tried.
    for k in [
        1,
        2,
        MAX_CANDIDATE_COOKIES,
        MAX_CANDIDATE_COOKIES + 1,
        5000,
        10_000,
    ] {
        let mut pairs: Vec<String> = (0..10_000).map(|_| format!("{name}={bogus}")).collect();
        pairs[k - 1] = format!("{name}={valid}");
        let header = pairs.join("; ");
        let s = ctx.config.load_cookies([header.as_bytes()]);
        if k <= MAX_CANDIDATE_COOKIES {
            assert_eq!(s.status(), &LoadStatus::Valid, "valid cookie at {k}");
        } else {
            // The first candidate's reason is reported; the valid one is never examined.
            assert_eq!(
                s.rejection().map(|r| r.kind()),
                Some("unknown_format"),
                "k = {k}"
            );
        }
    }
    lines.push(format!(
        "10,000 same-name cookies in one header: the valid one is found at positions 1..={MAX_CANDIDATE_COOKIES} and ignored at {} and beyond",
        MAX_CANDIDATE_COOKIES + 1
    ));

    // 10,000 Cookie headers of one same-name cookie each: count the header
    // values the runtime pulls (each holds exactly one candidate).
    let headers: Vec<Vec<u8>> = (0..10_000)
        .map(|_| format!("{name}={bogus}").into_bytes())
        .collect();
    let pulled = std::cell::Cell::new(0);
    let s = ctx.config.load_cookies(counted(&headers, &pulled));
    assert_eq!(s.rejection().map(|r| r.kind()), Some("unknown_format"));
    assert_eq!(pulled.get(), MAX_CANDIDATE_COOKIES, "headers examined");
    lines.push(format!(
        "10,000 Cookie headers, one candidate each: {} of 10,000 examined",
        pulled.get()
    ));

    // The same through an http::HeaderMap.
    let mut map = http::HeaderMap::new();
    for h in &headers {
        map.append(
            http::header::COOKIE,
            http::HeaderValue::from_bytes(h).unwrap(),
        );
    }
    map.append(
        http::header::COOKIE,
        format!("{name}={valid}").parse().unwrap(),
    );
    assert_eq!(
        ctx.config.load(&map).rejection().map(|r| r.kind()),
        Some("unknown_format")
    );

    // Degenerate megabyte headers.
    for (what, header) in [
        ("1 MB of ';'", ";".repeat(mb)),
        ("1 MB of '='", "=".repeat(mb)),
        ("1 MB of spaces", " ".repeat(mb)),
        ("1 MB of 'x=;'", "x=;".repeat(mb / 3)),
    ] {
        let s = ctx.config.load_cookies([header.as_bytes()]);
        assert_eq!(s.status(), &LoadStatus::Missing, "{what}");
        lines.push(format!("{what}: missing"));
    }
    let header = format!("{name}=").repeat(mb / (name.len() + 1));
    let s = ctx.config.load_cookies([header.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("too_long"));
    lines.push("1 MB of '__Host-app=' without ';': too_long".to_owned());
    // 10,000 empty same-name values.
    let header = format!("{name}=; ").repeat(10_000);
    let s = ctx.config.load_cookies([header.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("truncated"));
    lines.push("10,000 empty same-name cookies: truncated (first candidate)".to_owned());
    eprintln!(
        "\n### huge headers (AppSession)\n\n- {}",
        lines.join("\n- ")
    );
}

/// Sessions written by the runtime round-trip through the reference decoder,
/// so a difference between it and the runtime is the runtime's, not the
/// reference's (sanity for every other test in this file).
#[test]
fn reference_decoder_agrees_with_the_runtime_on_valid_cookies() {
    fn agree<T: CookieSession + Clone + PartialEq + Debug>(label: &'static str, data: T) {
        let ctx = Ctx::<T>::new(label, 1, &[]);
        let value = issue(&ctx.config, data.clone());
        assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
        ctx.clock.advance(Duration::from_secs(3600));
        assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
        assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), data);
        assert!(ctx.config.decode(value.as_bytes()).is_ok());
    }
    agree("Tiny", Tiny { n: 0 });
    agree("AppSession", app_sample());
    agree("AppSession", AppSession::default());
    agree("ShopSession", shop_sample());
    agree("AtBudget", at_budget_sample());
    agree("Enc", enc_sample());

    // A key holder's cookie whose fingerprint hint is not the schema's but
    // whose MAC binds the right full fingerprint: docs/wire-format.md (step 6)
    // consults the hint only to name a failed MAC, so both accept it (the
    // hint is a diagnostic, the fingerprint under the MAC is the guarantee).
    let ctx = Ctx::<AppSession>::new("AppSession", 1, &[]);
    let header = Header {
        hint: ctx.header().hint ^ 0x8000,
        ..ctx.header()
    };
    let value = ctx.forge(header, &postcard::to_allocvec(&app_sample()).unwrap());
    assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
    assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), app_sample());
}
