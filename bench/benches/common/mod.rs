//! What the benchmark targets share (`mod common;` in each).

use std::time::Duration;

use criterion::Criterion;

/// 1 s warm-up + 3 s of samples per function: the codec benchmark's 51 functions
/// then take near 4 minutes on two cores. Override on the command line
/// (`-- --measurement-time 5`).
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}
