//! Allocation bounds (docs/adversarial.md): hostile `Cookie` headers (1 MB values,
//! thousands of cookies, megabytes of filler) and hostile postcard length
//! prefixes behind a VALID MAC cost a small fixed amount of heap, independent of
//! the input size and of the length the attacker claims. And an ordinary
//! request through the web adapters' slot allocates exactly the slot, the
//! session and, on a write, the `Set-Cookie` (BENCHMARKS.md, HTTP benchmark).
//!
//! A counting `#[global_allocator]` records, per thread, the number of
//! allocations, the bytes requested and the peak of live bytes while a closure
//! runs. It lives in this test binary alone so nothing else is counted; the
//! counters are thread-local, so the test harness's other threads do not
//! disturb a measurement. Work is counted, never timed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use session_runtime::wire::{HEADER_LEN, TAG_LEN};
use session_runtime::CookieSession;
use session_tests::reference::{body, varint, Binding, Forger, Header, Mode};
use session_tests::{config_with_clock, issue, secret, AppSession, AtBudget, ShopSession, Tiny};

// --- the counting allocator --------------------------------------------------

/// Heap activity of the current thread while a measurement is armed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Stats {
    /// `alloc`, `alloc_zeroed` and `realloc` calls.
    allocations: usize,
    /// Bytes requested by those calls.
    bytes: usize,
    /// Bytes currently held (allocated minus freed since arming).
    live: isize,
    /// Largest `live` seen.
    peak: isize,
}

impl Stats {
    const ZERO: Stats = Stats {
        allocations: 0,
        bytes: 0,
        live: 0,
        peak: 0,
    };
}

thread_local! {
    // `const` initialisers and `Copy` contents: no lazy initialisation and no
    // destructor registration, so touching them never allocates (which would
    // recurse into the allocator).
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static STATS: Cell<Stats> = const { Cell::new(Stats::ZERO) };
}

fn record(allocated: Option<usize>, freed: usize) {
    let armed = ARMED.try_with(Cell::get).unwrap_or(false);
    if !armed {
        return;
    }
    let _ = STATS.try_with(|cell| {
        let mut stats = cell.get();
        if let Some(bytes) = allocated {
            stats.allocations += 1;
            stats.bytes += bytes;
            stats.live += bytes as isize;
        }
        stats.live -= freed as isize;
        stats.peak = stats.peak.max(stats.live);
        cell.set(stats);
    });
}

/// Forwards every call to the system allocator and counts it.
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds the `GlobalAlloc` contract; the bookkeeping around it only reads and
// writes `Copy` values in const-initialised thread-locals, which neither
// allocates nor unwinds. The workspace forbids `unsafe` in the library crates;
// implementing `GlobalAlloc` requires it, and it is confined to this test binary.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(Some(layout.size()), 0);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(Some(layout.size()), 0);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(None, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(Some(new_size), layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Runs `f` with counting armed on this thread. Whatever `f` allocates and
/// frees (including dropping the session it loads) is counted; its result must
/// not own heap memory.
fn measure<R: Copy>(f: impl FnOnce() -> R) -> (R, Stats) {
    STATS.with(|s| s.set(Stats::ZERO));
    ARMED.with(|a| a.set(true));
    let result = f();
    ARMED.with(|a| a.set(false));
    (result, STATS.with(Cell::get))
}

#[test]
fn the_counter_counts() {
    let (_, stats) = measure(|| {
        let v = std::hint::black_box(vec![0u8; 1000]);
        v.len()
    });
    assert_eq!(stats.allocations, 1);
    assert_eq!(stats.bytes, 1000);
    assert_eq!(stats.peak, 1000);
    assert_eq!(stats.live, 0);
}

/// A cookie of type `T` signed with `key(1)` at `T0_MS`, carrying `payload`:
/// the header of a genuine cookie with the payload swapped and the tag redone.
fn signed_payload<T: CookieSession + Clone>(genuine: &str, payload: &[u8]) -> String {
    let raw = URL_SAFE_NO_PAD.decode(genuine).unwrap();
    let header = Header::parse(&raw);
    let forger = Forger::new(&secret(1));
    let reforged = forger.forge(&Binding::of::<T>(), &header, body(Mode::Signed, &raw));
    assert_eq!(reforged, genuine, "the forger matches the runtime");
    forger.forge(&Binding::of::<T>(), &header, payload)
}

const SIZES: [usize; 5] = [64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];

fn kind<T>(session: &session_runtime::Session<T>) -> &'static str {
    session.rejection().map_or(
        match session.status() {
            session_runtime::LoadStatus::Missing => "missing",
            _ => "valid",
        },
        |r| r.kind(),
    )
}

/// Loads `header` through an `http::HeaderMap` (the real entry point) and
/// counts the heap activity of `load` alone.
fn load_counted<T: CookieSession + Clone>(
    config: &session_runtime::SessionConfig<T>,
    header: &[u8],
) -> (&'static str, Stats) {
    let mut map = http::HeaderMap::new();
    map.insert(
        http::header::COOKIE,
        http::HeaderValue::from_bytes(header).unwrap(),
    );
    measure(|| kind(&config.load(&map)))
}

#[test]
fn rejected_huge_headers_allocate_nothing_at_any_size() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let name = AppSession::NAME;
    let bogus = URL_SAFE_NO_PAD.encode([0u8; HEADER_LEN + TAG_LEN]);
    let mut lines = Vec::new();
    for size in SIZES {
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "one huge value",
                format!("{name}={}", "A".repeat(size)),
                "too_long",
            ),
            (
                "same-name cookies",
                format!("{name}={bogus}; ").repeat(size / (bogus.len() + name.len() + 3)),
                "unknown_format",
            ),
            (
                "other cookies, then a bad one",
                format!("{}{name}={bogus}", "x=0123456789abcdef; ".repeat(size / 20)),
                "unknown_format",
            ),
            ("only separators", ";".repeat(size), "missing"),
            (
                "name repeated without ';'",
                format!("{name}=").repeat(size / (name.len() + 1)),
                "too_long",
            ),
        ];
        for (what, header, expected) in cases {
            let (got, stats) = load_counted(&config, header.as_bytes());
            assert_eq!(got, expected, "{what} at {size}");
            assert_eq!(stats, Stats::ZERO, "{what}: a {size}-byte header allocated");
            if size == 1 << 20 {
                lines.push(format!(
                    "| {what} (1 MB) | {expected} | {} | {} | {} |",
                    stats.allocations, stats.bytes, stats.peak
                ));
            }
        }
        // `decode` of a value of that size, directly.
        let value = "A".repeat(size);
        let (got, stats) = measure(|| config.decode(value.as_bytes()).err().map(|r| r.kind()));
        assert_eq!(got, Some("too_long"));
        assert_eq!(stats, Stats::ZERO);
    }
    eprintln!(
        "\n| rejected header | reason | allocations | bytes | peak live |\n|---|---|---|---|---|\n{}",
        lines.join("\n")
    );
}

#[test]
fn a_valid_cookie_behind_megabytes_of_filler_costs_the_same_as_alone() {
    fn run<T: CookieSession + Clone>(label: &str, data: T) -> String {
        let (config, _clock) = config_with_clock::<T>();
        let value = issue(&config, data);
        let alone = format!("{}={value}", T::NAME);
        let (got, baseline) = load_counted(&config, alone.as_bytes());
        assert_eq!(got, "valid");
        assert!(
            baseline.bytes < 4096,
            "{label}: {baseline:?} for one valid cookie"
        );
        for size in SIZES {
            let header = format!("{}{alone}", "x=0123456789abcdef; ".repeat(size / 20));
            let (got, stats) = load_counted(&config, header.as_bytes());
            assert_eq!(got, "valid");
            assert_eq!(stats, baseline, "{label}: {size}-byte header");
            // Bogus same-name cookies first: MAX_CANDIDATE_COOKIES - 1 of
            // them, then the valid one, then filler: still the same cost.
            let bogus = format!("{}=AAAA; ", T::NAME).repeat(3);
            let header = format!(
                "{bogus}{alone}; {}",
                "y=0123456789abcdef; ".repeat(size / 20)
            );
            let (got, stats) = load_counted(&config, header.as_bytes());
            assert_eq!(got, "valid");
            assert_eq!(stats, baseline, "{label}: {size}-byte header after bogus");
        }
        format!(
            "| {label} | {} | {} | {} | {} |",
            alone.len(),
            baseline.allocations,
            baseline.bytes,
            baseline.peak
        )
    }
    let rows = [
        run("Tiny", Tiny { n: 7 }),
        run(
            "AppSession",
            AppSession {
                user_id: Some(1),
                display_name: "Ada".try_into().unwrap(),
                roles: [1u16, 2].try_into().unwrap(),
                csrf: [3; 32],
            },
        ),
        run("ShopSession", ShopSession::default()),
        run(
            "AtBudget",
            AtBudget {
                blob: session_runtime::BoundedString::truncating(&"z".repeat(3027)),
                pad: [0; 3],
            },
        ),
    ];
    eprintln!(
        "\n| valid cookie (alone = behind 64 KiB..1 MB of filler) | name=value bytes | allocations | bytes | peak live |\n|---|---|---|---|---|\n{}",
        rows.join("\n")
    );
}

/// Hostile length prefixes behind a valid MAC: the payload decoder runs, and
/// what it allocates is small and does not depend on the length claimed.
///
/// Two regimes, both bounded by the type, never by the claim: a claim just over
/// the bound but still within the input is refused from postcard's size hint
/// before anything is reserved; a claim beyond the remaining input gets no size
/// hint from postcard 1.x (`SeqAccess::size_hint` returns `None` when the
/// claim exceeds the bytes left), so a `BoundedVec` decodes items one by one
/// and refuses at item N+1 or at the end of the input: at most N items.
#[test]
fn hostile_length_prefixes_behind_a_valid_mac_allocate_a_fixed_small_amount() {
    fn run<T: CookieSession + Clone + Default>(
        label: &str,
        field: &str,
        genuine_data: T,
        payload_for: impl Fn(u64) -> Vec<u8>,
        bound: u64,
    ) -> String {
        let (config, _clock) = config_with_clock::<T>();
        let genuine = issue(&config, genuine_data);
        let mut over_bound = Stats::ZERO;
        let mut beyond_input: Option<Stats> = None;
        let claims = [
            bound + 1,
            1 << 16,
            u64::from(u32::MAX),
            1 << 40,
            1 << 62,
            u64::MAX,
        ];
        for claim in claims {
            let value = signed_payload::<T>(&genuine, &payload_for(claim));
            // Alone, and behind a megabyte of filler.
            let mut alone = None;
            for filler in [0, 1 << 20] {
                let header = format!(
                    "{}{}={value}",
                    "x=0123456789abcdef; ".repeat(filler / 20),
                    T::NAME
                );
                let (got, stats) = load_counted(&config, header.as_bytes());
                assert_eq!(got, "payload", "{label}.{field} claiming {claim}");
                assert!(
                    stats.bytes < 4096 && stats.peak < 4096,
                    "{label}.{field} claiming {claim}: {stats:?}"
                );
                // The filler changes nothing.
                assert_eq!(*alone.get_or_insert(stats), stats, "{label}.{field}");
            }
            let stats = alone.unwrap();
            if claim == bound + 1 {
                over_bound = stats;
            } else {
                // Every claim beyond the input costs exactly the same.
                assert_eq!(
                    *beyond_input.get_or_insert(stats),
                    stats,
                    "{label}.{field}: cost depends on the claimed length {claim}"
                );
            }
        }
        let beyond = beyond_input.unwrap();
        format!(
            "| {label}.{field} | {} | {} / {} / {} | {} / {} / {} |",
            bound,
            over_bound.allocations,
            over_bound.bytes,
            over_bound.peak,
            beyond.allocations,
            beyond.bytes,
            beyond.peak
        )
    }
    let rows = [
        // user_id Some(1), then display_name's length prefix and 16 bytes.
        run(
            "AppSession",
            "display_name",
            AppSession::default(),
            |claim| [&[1, 1][..], &varint(claim), &[b'x'; 16]].concat(),
            32,
        ),
        // user_id None, display_name "", then roles' length prefix and 8 items.
        run(
            "AppSession",
            "roles",
            AppSession::default(),
            |claim| [&[0, 0][..], &varint(claim), &[1; 8], &[0; 32]].concat(),
            8,
        ),
        // user_id None, name "", theme Light, then cart's prefix and 2 lines.
        run(
            "ShopSession",
            "cart",
            ShopSession::default(),
            |claim| [&[0, 0, 0][..], &varint(claim), &[1, 1, 2, 2]].concat(),
            10,
        ),
        // theme Custom { accent, name } with a hostile name prefix.
        run(
            "ShopSession",
            "theme.Custom.name",
            ShopSession::default(),
            |claim| [&[0, 0, 2, 1, 2, 3][..], &varint(claim), b"abc"].concat(),
            12,
        ),
        // blob's prefix behind 3017 bytes: the largest body the cookie carries.
        run(
            "AtBudget",
            "blob",
            AtBudget::default(),
            |claim| [&varint(claim)[..], &[b'a'; 3017]].concat(),
            3027,
        ),
    ];
    eprintln!(
        "\n| hostile prefix (valid MAC; alone = behind 1 MB) | bound N | claim N+1: allocations / bytes / peak | claims 2^16 .. 2^64-1: allocations / bytes / peak |\n|---|---|---|---|\n{}",
        rows.join("\n")
    );
}

/// One request through the web adapters' slot, as the layers run it: the
/// slot's shared state (one allocation; the single `Cookie` value is held
/// inline, a reference-counted clone), the loaded session its handles share
/// (one), and on a write the `Set-Cookie` text, which the header value keeps
/// (one; the `Cache-Control: private` the store adds is a static value).
#[test]
fn a_request_through_the_slot_allocates_the_slot_the_session_and_the_cookie() {
    use http::header::{COOKIE, SET_COOKIE};
    use http::{HeaderMap, HeaderValue};
    use session_runtime::adapter::SessionSlot;

    let (config, _clock) = config_with_clock::<Tiny>();
    let value = issue(&config, Tiny { n: 1 });
    let mut request = HeaderMap::new();
    request.insert(
        COOKIE,
        HeaderValue::try_from(format!("{}={value}", Tiny::NAME)).unwrap(),
    );
    let cookies = || request.get_all(COOKIE).iter().cloned();
    // The response maps exist before counting, with room for what is added.
    let mut read_response = HeaderMap::with_capacity(4);
    let mut write_response = HeaderMap::with_capacity(4);
    // Warmed up once: lazy statics (the metrics facade, logging call sites).
    let warm_up = SessionSlot::new(config.clone(), cookies());
    warm_up.take().expect("the first handle").set_n(2);
    warm_up.finish_into(&mut HeaderMap::new()).expect("stored");

    let (_, read) = measure(|| {
        let slot = SessionSlot::new(config.clone(), cookies());
        let session = slot.take().expect("the first handle");
        assert_eq!(session.n, 1);
        drop(session);
        slot.finish_into(&mut read_response)
            .expect("nothing to store");
    });
    assert_eq!(read.allocations, 2, "{read:?}");
    assert_eq!(read.live, 0, "{read:?}");
    assert!(read_response.is_empty());

    let (_, write) = measure(|| {
        let slot = SessionSlot::new(config.clone(), cookies());
        let mut session = slot.take().expect("the first handle");
        session.set_n(2);
        drop(session);
        slot.finish_into(&mut write_response).expect("stored");
    });
    assert_eq!(write.allocations, 3, "{write:?}");
    // What stays is the `Set-Cookie` the response holds, at its exact length.
    let set_cookie = write_response.get(SET_COOKIE).expect("a Set-Cookie");
    assert_eq!(write.live, set_cookie.len() as isize, "{write:?}");
}
