//! Guessing the format of a stream from its first lines.
//!
//! Blank lines and `#` comments are skipped; of the next [`DETECT_LINES`] lines each votes:
//!
//! * an iptracking row (7 fields split by the delimiter, the 4th an event word `auth`,
//!   `open_session`, `close_session`, `unknown`) or its header (`dst_ip...`) → iptracking;
//! * a syslog header (RFC 3164, RFC 3339 or RFC 5424, see [`crate::syslog`]) → sshd, whatever
//!   the program: auth.log and secure hold cron, su and sudo lines too, and the sshd parser
//!   ignores those.
//!
//! The format with the most votes wins (iptracking on a tie, being the stricter test); no votes
//! → `None`, and the caller asks the user for `--format`.
//!
//! Before the vote, the formats with a strict signature are asked first, on the raw lines (`#`
//! lines included: Zeek's header is made of them): Cisco ASA (syslog, so before the sshd vote),
//! Zeek conn, Cowrie, IntelMQ JSON,
//! Shadowserver CSV. Each one's `looks_like` is tested against every corpus file of every
//! format, so none claims another's files.

use crate::FormatKind;
use crate::iptracking::{FIELDS, event_kind};
use crate::syslog::parse_header;

/// A format's signature test over the first lines of a stream.
type LooksLike = fn(&[&[u8]]) -> bool;

/// How many non-blank, non-comment lines are looked at.
pub const DETECT_LINES: usize = 20;

/// The format of a stream whose first lines are `first_lines` (iptracking with `|`).
pub fn detect(first_lines: &[&[u8]]) -> Option<FormatKind> {
    detect_with_delimiter(first_lines, b'|')
}

/// [`detect`] for an iptracking export with another delimiter.
pub fn detect_with_delimiter(first_lines: &[&[u8]], delimiter: u8) -> Option<FormatKind> {
    let specific: [(FormatKind, LooksLike); 5] = [
        (FormatKind::Asa, crate::asa::looks_like),
        (FormatKind::ZeekConn, crate::zeek_conn::looks_like),
        (FormatKind::Cowrie, crate::cowrie::looks_like),
        (FormatKind::Intelmq, crate::intelmq::looks_like),
        (FormatKind::Shadowserver, crate::intelmq::shadowserver::looks_like),
    ];
    if let Some((kind, _)) = specific.iter().find(|(_, looks_like)| looks_like(first_lines)) {
        return Some(*kind);
    }
    let mut sshd = 0usize;
    let mut ipt = 0usize;
    let lines =
        first_lines.iter().map(|l| l.trim_ascii()).filter(|l| !l.is_empty() && !l.starts_with(b"#")).take(DETECT_LINES);
    for line in lines {
        if is_iptracking(line, delimiter) {
            ipt += 1;
        } else if parse_header(line).is_ok() {
            sshd += 1;
        }
    }
    match (ipt, sshd) {
        (0, 0) => None,
        (i, s) if i >= s => Some(FormatKind::Iptracking),
        _ => Some(FormatKind::Sshd),
    }
}

fn is_iptracking(line: &[u8], delimiter: u8) -> bool {
    if line.starts_with(b"dst_ip") && line.contains(&delimiter) {
        return true;
    }
    let mut fields = line.split(|&c| c == delimiter);
    let event = fields.nth(3);
    event.is_some_and(|e| event_kind(e).is_some()) && line.split(|&c| c == delimiter).count() == FIELDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Option<FormatKind> {
        let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        detect(&lines)
    }

    #[test]
    fn detects_syslog() {
        assert_eq!(
            d("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"),
            Some(FormatKind::Sshd)
        );
        assert_eq!(
            d(
                "# failJSON: {}\n\n2015-04-16T18:02:50.321974+00:00 host sshd[2716]: x\nFeb 21 23:35:33 localhost sudo: vagrant : TTY=pts/0"
            ),
            Some(FormatKind::Sshd)
        );
        // Only other programs: still syslog, still the sshd parser's job.
        assert_eq!(
            d("Jun 14 15:16:01 combo su(pam_unix)[1]: session opened for user news by (uid=0)"),
            Some(FormatKind::Sshd)
        );
        assert_eq!(d("<38>1 2019-07-08T17:40:16.954167-04:00 h sshd 57915 - - Failed x"), Some(FormatKind::Sshd));
    }

    #[test]
    fn detects_iptracking() {
        assert_eq!(
            d(
                "dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date\n10.0.0.1|192.0.2.7|51234|auth|4242|alice|2024-01-15 13:45:12"
            ),
            Some(FormatKind::Iptracking)
        );
        assert_eq!(d("10.0.0.1||| open_session |1|root|2024-01-15 13:45:12"), Some(FormatKind::Iptracking));
        let lines: Vec<&[u8]> = vec![b"10.0.0.1;1.2.3.4;1;auth;2;u;2024-01-15 13:45:12"];
        assert_eq!(detect(&lines), None);
        assert_eq!(detect_with_delimiter(&lines, b';'), Some(FormatKind::Iptracking));
    }

    #[test]
    fn detects_nothing() {
        assert_eq!(d(""), None);
        assert_eq!(d("# only\n# comments\n\n"), None);
        assert_eq!(d("{\"eventid\":\"cowrie.session.connect\"}"), Some(FormatKind::Cowrie));
        assert_eq!(d("10.0.0.1|1.2.3.4|1|login|2|u|2024-01-15 13:45:12"), None);
        assert_eq!(d("1521911721.255387\tC8Tful1TvM3Zf5x8fl\t10.164.94.120\t39681"), None);
    }

    #[test]
    fn majority_wins() {
        let text = "Dec 10 06:55:46 h sshd[1]: a\nDec 10 06:55:46 h sshd[1]: b\n10.0.0.1|1.2.3.4|1|auth|2|u|2024-01-15 13:45:12";
        assert_eq!(d(text), Some(FormatKind::Sshd));
    }
}
