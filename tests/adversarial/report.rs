//! Counting cases per category and printing the `rejected N of N` tables.

use std::collections::BTreeMap;
use std::fmt::{Debug, Write as _};

use session_runtime::CookieSession;

use crate::ctx::{check, Ctx};

/// Counts for one category.
#[derive(Default)]
pub struct Row {
    cases: usize,
    rejected: usize,
    through_header: usize,
    kinds: BTreeMap<&'static str, usize>,
    note: String,
}

/// One shape's table, plus every mismatch found (reported all at once).
pub struct Report {
    shape: String,
    /// Replay one case in this many through a Cookie header (1 = all).
    pub header_stride: usize,
    seen: usize,
    rows: Vec<(String, Row)>,
    failures: Vec<String>,
}

impl Report {
    pub fn new(shape: &str) -> Report {
        Report {
            shape: shape.to_owned(),
            header_stride: 1,
            seen: 0,
            rows: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn row(&mut self, category: &str) -> &mut Row {
        if self.rows.last().is_none_or(|(name, _)| name != category) {
            self.rows.push((category.to_owned(), Row::default()));
        }
        &mut self.rows.last_mut().expect("just pushed").1
    }

    pub fn note(&mut self, category: &str, note: impl Into<String>) {
        self.row(category).note = note.into();
    }

    /// One adversarial case: `value` must be rejected, for the reason the
    /// reference decoder gives and, if set, for `expected`.
    pub fn case<T: CookieSession + Clone + PartialEq + Debug>(
        &mut self,
        ctx: &Ctx<T>,
        category: &str,
        value: &[u8],
        expected: Option<&str>,
    ) {
        self.seen += 1;
        let replay = self.seen.is_multiple_of(self.header_stride);
        let outcome = check(ctx, value, expected, replay);
        self.record(ctx.label, category, value, outcome);
    }

    /// Counts one case's outcome: its rejection kind and whether it was also
    /// replayed through a Cookie header, or what went wrong.
    pub fn record(
        &mut self,
        label: &str,
        category: &str,
        value: &[u8],
        outcome: Result<(&'static str, bool), String>,
    ) {
        let row = self.row(category);
        row.cases += 1;
        match outcome {
            Ok((kind, through_header)) => {
                row.rejected += 1;
                row.through_header += usize::from(through_header);
                *row.kinds.entry(kind).or_default() += 1;
            }
            Err(problem) => {
                let text: String = String::from_utf8_lossy(value).chars().collect();
                let shown = if text.chars().count() > 60 {
                    let head: String = text.chars().take(30).collect();
                    let tail: String = text.chars().skip(text.chars().count() - 20).collect();
                    format!("{head:?}…{tail:?} ({} bytes)", value.len())
                } else {
                    format!("{text:?}")
                };
                self.failures
                    .push(format!("[{label}] {category}: {problem}: {shown}"));
            }
        }
    }

    fn render(&self) -> String {
        let mut out = format!(
            "### {}\n\n| category | rejected | via Cookie header | reasons | note |\n|---|---|---|---|---|\n",
            self.shape
        );
        let (mut cases, mut rejected) = (0, 0);
        for (name, row) in &self.rows {
            let kinds: Vec<String> = row.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                out,
                "| {name} | rejected {} of {} | {} | {} | {} |",
                row.rejected,
                row.cases,
                row.through_header,
                kinds.join(", "),
                row.note
            );
            cases += row.cases;
            rejected += row.rejected;
        }
        let _ = writeln!(
            out,
            "| **total** | **rejected {rejected} of {cases}** | | | |"
        );
        out
    }

    /// Prints the table, saves it, and fails with every mismatch if any.
    pub fn finish(self) {
        let table = self.render();
        eprintln!("\n{table}");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("adversarial");
        let _ = std::fs::create_dir_all(&dir);
        let file = self
            .shape
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>();
        let _ = std::fs::write(dir.join(format!("{file}.md")), &table);
        let total_cases: usize = self.rows.iter().map(|(_, r)| r.cases).sum();
        assert!(
            self.failures.is_empty(),
            "{} of {total_cases} adversarial cases were not rejected with the right reason:\n{}",
            self.failures.len(),
            self.failures
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        for (name, row) in &self.rows {
            assert_eq!(row.rejected, row.cases, "{name}");
        }
    }
}
