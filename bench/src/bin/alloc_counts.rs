//! Heap allocations per operation, for our codec, the floor and every peer.
//!
//! A counting `#[global_allocator]` forwards to the system allocator and counts
//! `alloc`/`alloc_zeroed`/`realloc` calls and requested bytes. Each operation runs once
//! to warm up (lazy statics, first-use buffers), then 100 times while counted; the
//! table shows the per-operation average (always a whole number here: no operation
//! allocates differently from one call to the next).
//!
//! Run: `cargo run -p session-bench --release --bin alloc_counts` (prints Markdown).
//! With `--check` it also asserts our counts, so the numbers in BENCHMARKS.md are pinned
//! (the crate's tests run it that way).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::Floor;
use session_bench::ours::{
    ours, Change, OurLarge, OurLargeEnc, OurMedium, OurMediumEnc, OurSmall, OurSmallEnc,
};
use session_bench::shapes::{large, medium, small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_header, Peer, Shape};
use session_runtime::CookieSession;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

/// Counts, then forwards to [`System`].
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting is two relaxed atomic adds, which neither
// allocate nor unwind.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded unchanged (see the impl's comment).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size, Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RUNS: usize = 100;

/// Allocations and bytes per call of `op` (the binary is single-threaded while counting).
fn count<R>(mut op: impl FnMut() -> R) -> (f64, f64) {
    drop(black_box(op()));
    let (a0, b0) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..RUNS {
        drop(black_box(op()));
    }
    let (a1, b1) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed));
    (
        (a1 - a0) as f64 / RUNS as f64,
        (b1 - b0) as f64 / RUNS as f64,
    )
}

/// One table row: codec, operation, then (allocations, bytes) per shape.
struct Row {
    codec: &'static str,
    op: &'static str,
    cells: Vec<(f64, f64)>,
}

fn peer_rows<P: Peer>(peer: &P, rows: &mut Vec<Row>) {
    fn cells<P: Peer, T: Shape>(peer: &P, session: &T) -> [(f64, f64); 2] {
        let header = cookie_header([check_round_trip(peer, session).as_str()]);
        [
            count(|| peer.encode(session).expect("encode")),
            count(|| peer.decode::<T>(&header).expect("decode")),
        ]
    }
    let [s, m, l] = [
        cells(peer, &small()),
        cells(peer, &medium()),
        cells(peer, &large()),
    ];
    rows.push(Row {
        codec: peer.label(),
        op: "encode (Set-Cookie)",
        cells: vec![s[0], m[0], l[0]],
    });
    rows.push(Row {
        codec: peer.label(),
        op: "decode (Cookie header)",
        cells: vec![s[1], m[1], l[1]],
    });
}

/// `[load, set_cookie new, set_cookie loaded+changed, encode value]` for one shape.
fn our_cells<T, P>(fixture: &P) -> [(f64, f64); 4]
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a P>,
{
    let ours = ours::<T, P>(fixture);
    [
        count(|| ours.load()),
        count(|| ours.set_cookie_fresh()),
        count(|| ours.set_cookie_changed()),
        count(|| ours.encode_value().expect("encode")),
    ]
}

fn our_rows(rows: &mut Vec<Row>) {
    let signed = [
        our_cells::<OurSmall, _>(&small()),
        our_cells::<OurMedium, _>(&medium()),
        our_cells::<OurLarge, _>(&large()),
    ];
    let encrypted = [
        our_cells::<OurSmallEnc, _>(&small()),
        our_cells::<OurMediumEnc, _>(&medium()),
        our_cells::<OurLargeEnc, _>(&large()),
    ];
    let ops = [
        "decode (load)",
        "encode (set_cookie, new)",
        "encode (set_cookie, loaded+changed)",
        "encode (value only)",
    ];
    for (codec, cells) in [("ours", &signed), ("ours-encrypted", &encrypted)] {
        for (i, op) in ops.into_iter().enumerate() {
            if codec == "ours-encrypted" && i >= 2 {
                continue;
            }
            rows.push(Row {
                codec,
                op,
                cells: cells.iter().map(|shape| shape[i]).collect(),
            });
        }
    }
}

fn main() {
    let check = std::env::args().any(|arg| arg == "--check");
    let mut rows = Vec::new();
    our_rows(&mut rows);
    peer_rows(&Floor::default(), &mut rows);
    peer_rows(&ActixSession::signed(), &mut rows);
    peer_rows(&ActixSession::private(), &mut rows);
    peer_rows(&AxumSigned::default(), &mut rows);
    peer_rows(&TowerCookieStore::default(), &mut rows);

    println!("Heap allocations per operation (bytes requested in parentheses):\n");
    println!("| codec | operation | small | medium | large |");
    println!("|---|---|---:|---:|---:|");
    for row in &rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|(n, bytes)| format!("{n} ({bytes})"))
            .collect();
        println!("| {} | {} | {} |", row.codec, row.op, cells.join(" | "));
    }

    if check {
        // Our decode allocates exactly what the typed value owns: nothing for small
        // (flash: None), name + roles + cart + locale for medium and large. Encode
        // allocates the header value's bytes once: the String is built at its exact
        // length, so `HeaderValue` keeps it (see BENCHMARKS.md).
        let get = |codec: &str, op: &str| -> Vec<f64> {
            rows.iter()
                .find(|row| row.codec == codec && row.op == op)
                .map(|row| row.cells.iter().map(|cell| cell.0).collect())
                .expect("row")
        };
        assert_eq!(get("ours", "decode (load)"), [0.0, 4.0, 4.0]);
        assert_eq!(get("floor", "decode (Cookie header)"), [0.0, 4.0, 4.0]);
        assert_eq!(get("ours", "encode (value only)"), [1.0, 1.0, 1.0]);
        for op in [
            "encode (set_cookie, new)",
            "encode (set_cookie, loaded+changed)",
        ] {
            assert_eq!(get("ours", op), [1.0, 1.0, 1.0], "{op}");
        }
        println!("\ncheck: ok");
    }
}
