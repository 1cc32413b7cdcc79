//! Attacker-controlled text made safe for each place it is shown.
//!
//! Usernames, passwords, commands and URLs come from whoever reached the sensor; so do syslog
//! hosts and program names. None of it may reach a terminal, a spreadsheet, a Markdown mail or
//! an SVG as anything but text:
//!
//! - [`display`] (terminal tables, chart labels): control characters (C0, DEL, C1 — among them
//!   ESC, which starts ANSI/OSC sequences, and `\r`) and the invisible Unicode formatting
//!   characters that reorder or hide text (bidi overrides and isolates like U+202E, zero-width
//!   characters, U+2028/U+2029, the BOM) are shown as `\x1b`, `\r`, `\u{202e}`, never sent as
//!   they are. A backslash stays a backslash: the escapes are for reading, and `json` is the
//!   format that keeps every character exactly.
//! - [`markdown`] (Markdown tables): [`display`], then every character that starts Markdown
//!   or HTML syntax (`\`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `>`, `|`, `&`, `~`) backslash-escaped,
//!   so a cell can neither break the table nor inject a link, an image, emphasis, code or HTML.
//! - [`csv`] / [`tsv`]: a text field that a spreadsheet would read as a formula (first character
//!   `=`, `+`, `-`, `@`, tab or CR, and not a plain number) gets a leading `'` unless the formula
//!   guard is off (`--no-formula-guard`, for machine consumers); CSV quotes separators, quotes
//!   and line breaks (RFC 4180); TSV escapes `\`, tab, LF and CR as `\\`, `\t`, `\n`, `\r` (the
//!   PostgreSQL text convention, so `cut`/`awk` see one line per row). Other hidden characters
//!   (controls, bidi and invisible formatting characters) are shown as in [`display`] in both:
//!   spreadsheets and terminals with bidi support would otherwise reorder the text.
//!
//! Invalid UTF-8 never gets this far: parsers replace it with U+FFFD when they read a line.

use std::borrow::Cow;
use std::fmt::Write as _;

use ipscope_store::{Table, Value};

/// Whether `c` must not be shown as it is: a control character or an invisible formatting
/// character that changes how the text around it reads.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'                  // Arabic letter mark (bidi)
            | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line / paragraph separator
            | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides (U+202E: RIGHT-TO-LEFT OVERRIDE)
            | '\u{2060}'..='\u{2069}'   // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'                // zero-width no-break space / BOM
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

/// The visible form of a hidden character.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `s` with every hidden character escaped; borrowed when there is none (the usual case).
pub fn display(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A copy of `t` with every column name and text value passed through [`display`]: what a
/// chart draws (SVG text must not hold control characters, and a browser would apply bidi
/// overrides to it).
pub fn display_table(t: &Table) -> Table {
    let text = |v: &Value| match v {
        Value::Text(s) => Value::Text(display(s).into_owned()),
        other => other.clone(),
    };
    Table {
        columns: t.columns.iter().map(|c| display(c).into_owned()).collect(),
        rows: t.rows.iter().map(|r| r.iter().map(text).collect()).collect(),
    }
}

/// Characters that start Markdown (CommonMark + GFM tables and strikethrough) or HTML syntax
/// inside a table cell. A line-start marker (`#`, `-`, `>` quote, `1.`) cannot occur: a cell
/// never starts a line.
const MARKDOWN_SPECIAL: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '&', '~'];

/// A Markdown table cell showing `s` as plain text.
pub fn markdown(s: &str) -> Cow<'_, str> {
    let shown = display(s);
    if !shown.contains(MARKDOWN_SPECIAL) {
        return shown;
    }
    let chars: Vec<char> = shown.chars().collect();
    let mut out = String::with_capacity(shown.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        // An `_` between two letters or digits (`first_seen`) cannot open or close emphasis
        // (CommonMark's flanking rules): left as it is, so column names stay readable.
        let intraword = c == '_'
            && i > 0
            && chars.get(i - 1).is_some_and(|p| p.is_alphanumeric())
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if MARKDOWN_SPECIAL.contains(&c) && !intraword {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Whether a spreadsheet would evaluate a text field as a formula (OWASP's list of first
/// characters). Text that is a plain number (`-5`, `+1.5`) is a number there, not a formula.
fn is_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s)
}

/// `[+-]digits[.digits]`: what a spreadsheet reads as a number.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Hidden characters other than those a format handles itself (`keep`) as in [`display`].
fn hidden_escaped<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    let hidden = |c: char| is_hidden(c) && !keep.contains(&c);
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One CSV field. `text` marks a text value (only text is guarded: numbers stay numbers);
/// `guard` is the formula guard.
pub fn csv(s: &str, sep: char, text: bool, guard: bool) -> Cow<'_, str> {
    let mut v = hidden_escaped(s, &['\n', '\r', '\t']);
    if text && guard && is_formula(&v) {
        v = Cow::Owned(format!("'{v}"));
    }
    if v.contains([sep, '"', '\n', '\r']) {
        return Cow::Owned(format!("\"{}\"", v.replace('"', "\"\"")));
    }
    v
}

/// One TSV field (see the module docs).
pub fn tsv(s: &str, text: bool, guard: bool) -> Cow<'_, str> {
    let formula = text && guard && is_formula(s);
    let special = |c: char| c == '\\' || is_hidden(c);
    if !formula && !s.contains(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    if formula {
        out.push('\'');
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real payloads seen in honeypot and syslog data.
    pub(crate) const HOSTILE: &[&str] = &[
        "\x1b]0;pwned\x07",                  // OSC: set the terminal title
        "\x1b[2J\x1b[H",                     // clear the screen, cursor home
        "root\rnobody",                      // carriage return: overwrite what was printed
        "admin\u{202E}gnp.exe",              // RIGHT-TO-LEFT OVERRIDE: shows "admin" + "exe.png"
        "\u{2066}user\u{2069}",              // bidi isolates
        "=HYPERLINK(\"http://evil\",\"x\")", // CSV formula injection
        "+cmd|' /C calc'!A0",                // DDE
        "-2+3",                              // formula starting with -
        "@SUM(1,2)",                         // formula starting with @
        "a|b",                               // Markdown cell separator
        "`rm -rf /`",                        // Markdown code
        "<img src=x onerror=alert(1)>",      // HTML
        "[click](http://evil)",              // Markdown link
        "line1\nline2",                      // newline in a cell
        "tab\there",                         // tab in a TSV cell
        "nul\0byte\x7f\u{9b}31m",            // NUL, DEL, C1 CSI
        "a\u{FFFD}b",                        // what invalid UTF-8 became
    ];

    /// The inverse of [`tsv`]: `\\`, `\t`, `\n`, `\r`, `\xNN`, `\u{N}`.
    fn unescape_tsv(t: &str) -> String {
        let mut out = String::new();
        let mut it = t.chars();
        while let Some(c) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match it.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('x') => {
                    let hex: String = it.by_ref().take(2).collect();
                    out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                Some('u') => {
                    let hex: String = it.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                Some(o) => out.push(o),
                None => {}
            }
        }
        out
    }

    fn has_hidden(s: &str) -> bool {
        s.chars().any(is_hidden)
    }

    #[test]
    fn display_escapes_terminal_and_bidi_controls() {
        assert_eq!(display("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(display("root\rnobody"), "root\\rnobody");
        assert_eq!(display("admin\u{202E}gnp.exe"), "admin\\u{202e}gnp.exe");
        assert_eq!(display("\u{9b}31m"), "\\u{9b}31m");
        assert!(matches!(display("plain ascii, üñíçødé 漢字"), Cow::Borrowed(_)));
        for s in HOSTILE {
            assert!(!has_hidden(&display(s)), "{s:?}");
        }
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("`x`"), "\\`x\\`");
        assert_eq!(markdown("<b>"), "\\<b\\>");
        assert_eq!(markdown("[a](u)"), "\\[a\\](u)");
        assert_eq!(markdown("line1\nline2"), "line1\\\\nline2");
        assert_eq!(markdown("first_seen"), "first_seen");
        assert_eq!(markdown("_x_ a_ _b"), "\\_x\\_ a\\_ \\_b");
        for s in HOSTILE {
            let m = markdown(s);
            assert!(!m.contains('\n') && !has_hidden(&m), "{s:?} -> {m:?}");
            // Every special character is preceded by a backslash that is not itself escaped.
            let mut escaped = false;
            for c in m.chars() {
                assert!(escaped || !MARKDOWN_SPECIAL.contains(&c) || c == '\\' || c == '_', "{s:?} -> {m:?}");
                escaped = !escaped && c == '\\';
            }
        }
    }

    #[test]
    fn csv_neutralises_formulas_but_not_numbers() {
        assert_eq!(csv("=1+2", ',', true, true), "'=1+2");
        assert_eq!(csv("@SUM(1,2)", ',', true, true), "\"'@SUM(1,2)\"");
        assert_eq!(csv("-2+3", ',', true, true), "'-2+3");
        assert_eq!(csv("+cmd|' /C calc'!A0", ';', true, true), "'+cmd|' /C calc'!A0");
        assert_eq!(csv("-5", ',', true, true), "-5");
        assert_eq!(csv("-1.25", ',', true, true), "-1.25");
        assert_eq!(csv("-5", ',', false, true), "-5");
        assert_eq!(csv("=1+2", ',', true, false), "=1+2", "guard off");
        assert_eq!(csv("a\"b", ',', true, true), "\"a\"\"b\"");
        assert_eq!(csv("a\nb", ',', true, true), "\"a\nb\"");
        assert_eq!(csv("\x1b[2J", ',', true, true), "\\x1b[2J");
        assert_eq!(csv("\tx", ',', true, true), "'\tx");
    }

    #[test]
    fn tsv_escapes_its_separators_and_controls() {
        assert_eq!(tsv("tab\there", true, true), "tab\\there");
        assert_eq!(tsv("a\\nb", true, true), "a\\\\nb", "a literal backslash-n is not a newline");
        assert_eq!(tsv("a\r\nb", true, true), "a\\r\\nb");
        assert_eq!(tsv("=cmd", true, true), "'=cmd");
        assert_eq!(tsv("=cmd", true, false), "=cmd");
        assert_eq!(tsv("-7", true, true), "-7");
    }

    proptest! {
        #[test]
        fn no_output_shows_a_hidden_character(s in any::<String>()) {
            prop_assert!(!has_hidden(&display(&s)));
            prop_assert!(!has_hidden(&markdown(&s)));
            prop_assert!(!has_hidden(&tsv(&s, true, true)));
            prop_assert!(!csv(&s, ',', true, true).chars().any(|c| is_hidden(c) && !matches!(c, '\t' | '\n' | '\r')));
        }

        #[test]
        fn markdown_leaves_only_intraword_underscores_unescaped(s in "[a-z_ *]{0,12}") {
            let m: Vec<char> = markdown(&s).chars().collect();
            let mut escaped = false;
            for (i, &c) in m.iter().enumerate() {
                if c == '_' && !escaped {
                    let word = |j: Option<usize>| j.and_then(|j| m.get(j)).is_some_and(|c| c.is_alphanumeric());
                    prop_assert!(word(i.checked_sub(1)) && word(Some(i + 1)), "{:?} -> {:?}", s, m);
                }
                escaped = !escaped && c == '\\';
            }
        }

        #[test]
        fn guarded_fields_never_start_a_formula(s in any::<String>()) {
            let t = tsv(&s, true, true);
            prop_assert!(!is_formula(&t));
            let c = csv(&s, ',', true, true);
            let c = c.strip_prefix('"').unwrap_or(&c);
            prop_assert!(!is_formula(c));
        }

        #[test]
        fn tsv_round_trips(s in any::<String>()) {
            // Unescaping TSV gives the text back exactly: the escapes are unambiguous.
            let t = tsv(&s, false, false);
            prop_assert!(!t.contains(['\t', '\n']));
            prop_assert_eq!(unescape_tsv(&t), s);
        }
    }
}
