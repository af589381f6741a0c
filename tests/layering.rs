//! The module layering docs/architecture.md describes holds: inside
//! `session-runtime/src`, a module imports only modules listed *below* it in
//! the architecture page's "`session-runtime/src`, top-down" table, never one
//! above it, and never through the crate root's re-exports (which would hide
//! the real edge). So there are no import cycles, and the page cannot drift
//! from the code: a new module missing from the table fails this test too.
//!
//! An edge is any `crate::…` or `super::…` path in a module's code outside
//! its `#[cfg(test)]` module, in `use` items (braces expanded) and inline. A
//! parent module's `mod` declarations and `pub use` re-exports of its own
//! children are its structure, not imports. `lib.rs` (the crate root: module
//! list, public re-exports, `__private`) is exempt.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// `session-runtime/src`.
fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../session-runtime/src")
}

/// `adapters/slot.rs` → `adapters::slot`; `codec/mod.rs` → `codec`.
fn module_of(file: &str) -> String {
    let path = file.strip_suffix(".rs").expect("a .rs file");
    let path = path.strip_suffix("/mod").unwrap_or(path);
    path.replace('/', "::")
}

/// The modules of the architecture page's top-down table, in order.
fn documented_order() -> Vec<String> {
    let page =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"))
            .expect("docs/architecture.md");
    let start = page
        .find("## `session-runtime/src`, top-down")
        .expect("the top-down section");
    let section = &page[start..];
    let end = section[3..]
        .find("\n## ")
        .map_or(section.len(), |at| at + 3);
    section[..end]
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| `")?;
            let file = &cell[..cell.find('`')?];
            file.ends_with(".rs").then(|| module_of(file))
        })
        .collect()
}

/// Every `.rs` file under `src`, relative, with `/` separators.
fn source_files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("readable src dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            source_files(&path, base, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(base).expect("under src");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The code of a file without comments and without its test module(s).
fn code_without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            // Skip the item that follows: up to its matching closing brace.
            let mut depth = 0i32;
            let mut opened = false;
            for next in lines.by_ref() {
                depth += next.matches('{').count() as i32 - next.matches('}').count() as i32;
                opened |= next.contains('{');
                if opened && depth <= 0 || !opened && next.trim_end().ends_with(';') {
                    break;
                }
            }
            continue;
        }
        let code = match trimmed.find("//") {
            Some(_) if trimmed.starts_with("//") => "",
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{d, e as f}}`) into full paths (an
/// alias is dropped: `e as f` is the path `e`).
fn expand_use(tree: &str) -> Vec<String> {
    let tree = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.replace(" as ", "@").replace(' ', "");
    expand_tree(&tree)
        .into_iter()
        .map(|path| path.split('@').next().unwrap_or_default().to_owned())
        .collect()
}

fn expand_tree(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close.max(open + 1)];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .flat_map(expand_tree)
        .map(|path| format!("{prefix}{path}"))
        .collect()
}

/// Whether a trimmed line starts a `use` item (`use`, `pub use`,
/// `pub(crate) use`, ...).
fn starts_use_item(line: &str) -> Option<(&str, bool)> {
    if let Some(rest) = line.strip_prefix("use ") {
        return Some((rest, false));
    }
    let rest = line.strip_prefix("pub")?;
    let rest = match rest.strip_prefix('(') {
        Some(inner) => &inner[inner.find(')')? + 1..],
        None => rest,
    };
    rest.trim_start()
        .strip_prefix("use ")
        .map(|rest| (rest, true))
}

/// The `crate::`/`super::` paths of `code`, `super::` made absolute from
/// `module`, and whether each is a re-export (`pub use`).
fn paths(code: &str, module: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut inline = String::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let Some((first, public)) = starts_use_item(line.trim_start()) else {
            inline.push_str(line);
            inline.push('\n');
            continue;
        };
        let mut item = first.to_owned();
        while !item.contains(';') {
            let Some(next) = lines.next() else { break };
            item.push(' ');
            item.push_str(next);
        }
        let tree = item.split(';').next().unwrap_or_default();
        for path in expand_use(tree) {
            found.push((path, public));
        }
    }
    for anchor in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = inline[from..].find(anchor) {
            let start = from + at;
            let preceded = inline[..start].chars().next_back();
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
                from = start + anchor.len();
                continue;
            }
            let len = inline[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(inline.len() - start);
            found.push((inline[start..start + len].to_owned(), false));
            from = start + len;
        }
    }
    let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent);
    found
        .into_iter()
        .filter_map(|(path, public)| {
            let path = path.trim_end_matches("::").to_owned();
            if let Some(rest) = path.strip_prefix("crate::") {
                Some((rest.to_owned(), public))
            } else if let Some(rest) = path.strip_prefix("super::") {
                let absolute = if parent.is_empty() {
                    rest.to_owned()
                } else {
                    format!("{parent}::{rest}")
                };
                Some((absolute, public))
            } else {
                None
            }
        })
        .collect()
}

/// The module a path lands in: its longest prefix that is a module; `""`
/// for the crate root.
fn target(path: &str, modules: &BTreeMap<String, usize>) -> String {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| modules.contains_key(candidate))
        .unwrap_or_default()
}

#[test]
fn modules_import_only_down_the_documented_layering() {
    let order = documented_order();
    assert!(order.len() > 20, "the table lists the modules: {order:?}");
    let rank: BTreeMap<String, usize> = order
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, m)| (m, i))
        .collect();
    let mut files = Vec::new();
    source_files(&src_dir(), &src_dir(), &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        // The crate root, and test modules kept in files of their own.
        if file == "lib.rs" || file.ends_with("/tests.rs") {
            continue;
        }
        let module = module_of(file);
        let Some(&own) = rank.get(&module) else {
            problems.push(format!(
                "{file}: not in docs/architecture.md's top-down table"
            ));
            continue;
        };
        let text = fs::read_to_string(src_dir().join(file)).expect("readable source");
        for (path, public) in paths(&code_without_tests(&text), &module) {
            let to = target(&path, &rank);
            if to.is_empty() {
                problems.push(format!(
                    "{file}: `{path}` goes through the crate root; import it from its module"
                ));
                continue;
            }
            if to == module {
                continue;
            }
            // A parent's re-export of its own child is structure.
            if public && to.starts_with(&format!("{module}::")) {
                continue;
            }
            if rank[&to] < own {
                problems.push(format!(
                    "{file}: imports `{path}` from `{to}`, which is listed above it"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_expands_use_trees_and_resolves_super() {
    assert_eq!(
        expand_use("crate::codec::{scratch::{a, b as c}, Codec}"),
        [
            "crate::codec::scratch::a",
            "crate::codec::scratch::b",
            "crate::codec::Codec"
        ]
    );
    let found = paths(
        "use super::{state::Phase, error::FinishError};\nlet x = crate::key::Key::new();",
        "adapters::slot",
    );
    let found: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        found,
        [
            "adapters::state::Phase",
            "adapters::error::FinishError",
            "key::Key::new"
        ]
    );
    assert_eq!(
        code_without_tests("a\n#[cfg(test)]\nmod tests {\n  use crate::x;\n}\nb\n"),
        "a\nb\n"
    );
}
