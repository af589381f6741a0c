//! Names a generated accessor must not take, because a session handle already
//! has a method of that name.
//!
//! Handlers reach the struct through `Session<T>` (and `RequestSession<T>`,
//! which dereferences to it), and a method call picks the handle's own method
//! before it looks through `Deref`: with a field named `status`,
//! `session.status()` returns the load status, not the field. So a field whose
//! getter (`x`), setter (`set_x`) or in-place accessor (`x_mut`) would take one
//! of these names is a compile error at the field.
//!
//! This list must name **every** method callable on `Session<T>` and
//! `RequestSession<T>` (session-runtime's `src/session.rs` and
//! `src/adapters/`), plus names reserved for methods being added. Associated
//! functions without `self` (`Session::new`) are not listed: method-call
//! syntax never finds them, so `session.new()` reaches a field's getter. When a
//! method is added there, add it here (and drop `planned` once a planned
//! method lands). `tests/derive.rs` keeps the list honest both ways: it calls
//! every existing entry on a real `Session<T>` / `RequestSession<T>`, and it
//! reads the runtime's sources and fails on a public handle method missing
//! from this file.

/// A reserved name and the handle method that owns it (for the error message).
pub(crate) struct Reserved {
    pub name: &'static str,
    pub owner: &'static str,
    /// The method does not exist yet; the name is kept free for it.
    pub planned: bool,
}

/// Every reserved name. Keep it sorted by owner, then name.
pub(crate) const RESERVED: &[Reserved] = &[
    // `Session<T>` (src/session.rs).
    r("clear", "Session::clear"),
    r("created_at", "Session::created_at"),
    r("get_mut", "Session::get_mut"),
    r("into_inner", "Session::into_inner"),
    r("is_new", "Session::is_new"),
    r("issued_at", "Session::issued_at"),
    r("lifetime", "Session::lifetime"),
    r("pending_write", "Session::pending_write"),
    r("rejection", "Session::rejection"),
    r("renew", "Session::renew"),
    r("set", "Session::set"),
    r("set_lifetime", "Session::set_lifetime"),
    r("status", "Session::status"),
    // `RequestSession<T>` (src/adapters/mod.rs).
    r("config", "RequestSession::config"),
    // Prelude traits implemented by every type, so by `Session<T>` too:
    // `session.into()` resolves to `Into::into` on the handle.
    r("into", "Into::into"),
    r("try_into", "TryInto::try_into"),
    // Reserved for session methods being added (lifetimes, flash messages,
    // CSRF tokens): a field must not take these names today and be shadowed
    // silently tomorrow.
    planned("csrf_token", "Session::csrf_token"),
    planned("flash", "Session::flash"),
    planned("take_flash", "Session::take_flash"),
];

const fn r(name: &'static str, owner: &'static str) -> Reserved {
    Reserved {
        name,
        owner,
        planned: false,
    }
}

const fn planned(name: &'static str, owner: &'static str) -> Reserved {
    Reserved {
        name,
        owner,
        planned: true,
    }
}

/// The reservation of `name`, if it is reserved.
pub(crate) fn lookup(name: &str) -> Option<&'static Reserved> {
    RESERVED.iter().find(|reserved| reserved.name == name)
}
