//! Empty: this package exists to run `tests/ui` (see `ui.rs`).
