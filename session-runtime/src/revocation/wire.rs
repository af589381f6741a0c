//! What travels through Redis: subjects, cut-offs in Unix milliseconds, the
//! pub/sub message format (`<cutoff ms> <subject>` lines) and sorted-set
//! scores. Pure functions, no I/O.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::MAX_REVOCATION_SUBJECT_LEN;

/// Largest pub/sub message written at once (a write-back of many cut-offs
/// is split); one line always fits, since subjects are at most
/// [`MAX_REVOCATION_SUBJECT_LEN`] bytes.
pub(super) const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Messages of `<cutoff ms> <subject>` lines, each at most
/// [`MAX_MESSAGE_BYTES`].
pub(super) fn encode_messages(entries: &[(&str, u64)]) -> Vec<String> {
    let mut messages = Vec::new();
    let mut current = String::new();
    for (subject, cutoff) in entries {
        let line = format!("{cutoff} {subject}\n");
        if !current.is_empty() && current.len() + line.len() > MAX_MESSAGE_BYTES {
            messages.push(std::mem::take(&mut current));
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

/// One message line; `None` for anything malformed (counted, ignored).
pub(super) fn parse_line(line: &str) -> Option<(&str, u64)> {
    let (cutoff, subject) = line.split_once(' ')?;
    let cutoff = cutoff.parse().ok().filter(|&ms| ms < MAX_CUTOFF_MS)?;
    valid_subject(subject).then_some((subject, cutoff))
}

/// Cut-offs are whole milliseconds below this (far past any real clock), so
/// exact as Redis's doubles (below 2^53): one bound for a message and a
/// score.
const MAX_CUTOFF_MS: u64 = 9_000_000_000_000_000;

/// Sorted-set scores come back as decimal strings.
pub(super) fn parse_score(score: &[u8]) -> Option<u64> {
    let score: f64 = std::str::from_utf8(score).ok()?.parse().ok()?;
    (0.0..MAX_CUTOFF_MS as f64)
        .contains(&score)
        .then_some(score as u64)
}

/// 1 to [`MAX_REVOCATION_SUBJECT_LEN`] bytes, no line break (the message
/// format is line-based) and no NUL.
pub(super) fn valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.len() <= MAX_REVOCATION_SUBJECT_LEN
        && !subject.bytes().any(|b| b == b'\n' || b == b'\r' || b == 0)
}

/// Rounds Unix milliseconds down to a whole second: session starts travel in
/// whole seconds (docs/wire-format.md), so a cut-off finer than that would
/// revoke a session started later in the same second.
pub(super) fn whole_second(unix_ms: u64) -> u64 {
    unix_ms - unix_ms % 1000
}

pub(super) fn system_time_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, duration_ms)
}

pub(super) fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    #[test]
    fn messages_round_trip_and_split_at_the_size_limit() {
        let subject = "s".repeat(MAX_REVOCATION_SUBJECT_LEN);
        let entries: Vec<(&str, u64)> = (0..600).map(|i| (subject.as_str(), T0 + i)).collect();
        let messages = encode_messages(&entries);
        assert!(messages.len() >= 3);
        let mut decoded = Vec::new();
        for message in &messages {
            assert!(message.len() <= MAX_MESSAGE_BYTES);
            decoded.extend(message.lines().map(|line| parse_line(line).unwrap()));
        }
        assert_eq!(decoded, entries);
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert_eq!(parse_line("12 user 1"), Some(("user 1", 12)));
        for bad in ["", "12", "12 ", "x user", "-1 user", "12\0 user"] {
            assert_eq!(parse_line(bad), None, "{bad:?}");
        }
        assert_eq!(parse_line("12 a\0b"), None);
        // Past what a score can hold exactly: refused on both paths alike.
        assert_eq!(parse_line("9000000000000000 user"), None);
        assert_eq!(
            parse_line("8999999999999999 user"),
            Some(("user", 8_999_999_999_999_999))
        );
        assert_eq!(parse_score(b"9000000000000000"), None);
    }

    #[test]
    fn scores_parse_exactly() {
        assert_eq!(parse_score(b"1800000000000"), Some(1_800_000_000_000));
        assert_eq!(parse_score(b"1.8e12"), Some(1_800_000_000_000));
        assert_eq!(parse_score(b"-1"), None);
        assert_eq!(parse_score(b"inf"), None);
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(&[0xff]), None);
    }

    #[test]
    fn subjects_and_seconds() {
        let long = "x".repeat(MAX_REVOCATION_SUBJECT_LEN + 1);
        for bad in ["", "a\nb", "a\rb", "a\0b", long.as_str()] {
            assert!(!valid_subject(bad), "{bad:?}");
        }
        assert!(valid_subject("user 1"));
        assert_eq!(whole_second(T0 + 999), T0);
        assert_eq!(system_time_ms(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
