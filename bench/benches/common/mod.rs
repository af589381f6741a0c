//! What the benchmark targets share (`mod common;` in each).

use std::time::Duration;

use criterion::Criterion;

/// 1 s warm-up + 8 s of samples per function: the codec benchmark's 51 functions
/// then take about 8 minutes. On the shared 2-vCPU machine other work comes in
/// bursts of one to two seconds; in a 3 s window one burst could cover half
/// the samples and move a median by 50% (the floor's medium decode: p10 683 ns,
/// median 979 ns in one such run), in an 8 s window it covers a minority of
/// them. Override on the command line (`-- --measurement-time 3`).
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args()
}
