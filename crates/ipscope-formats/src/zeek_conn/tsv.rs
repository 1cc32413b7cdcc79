//! Zeek's ASCII (TSV) writer: `#` header lines, then rows split by the separator.

use memchr::memmem;

use super::{
    Addr, CONN_ONLY, bad_field, connection, finish, is_conn_path, parse_addr, parse_ts, set_orig, set_resp,
    valid_duration,
};
use crate::clock::Clock;
use crate::{Event, LineOutcome, MAX_REJECT_DETAIL, Reject, reject, text};

/// Most columns a `#fields` line may name (conn.log has 20-23; Zeek's widest logs about 60).
/// Beyond it the header is rejected rather than kept: each row walks the column list.
pub const MAX_FIELDS: usize = 256;

/// Longest `#separator` / `#set_separator` / `#unset_field` / `#empty_field` value kept (Zeek
/// writes 1 to 7 bytes); longer values are rejected.
pub const MAX_MARKER: usize = 16;

/// The columns the parser reads; every other column is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Column {
    Ts,
    Uid,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Service,
    Duration,
    OrigBytes,
    RespBytes,
    ConnState,
    History,
    RespPkts,
    Node,
    Other,
}

/// Column names, in the order of [`Column`]'s variants (before `Other`).
pub(super) const NAMES: [&str; 15] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "history",
    "resp_pkts",
    "_node_name",
];

pub(super) const KNOWN: [Column; 15] = [
    Column::Ts,
    Column::Uid,
    Column::OrigH,
    Column::OrigP,
    Column::RespH,
    Column::RespP,
    Column::Proto,
    Column::Service,
    Column::Duration,
    Column::OrigBytes,
    Column::RespBytes,
    Column::ConnState,
    Column::History,
    Column::RespPkts,
    Column::Node,
];

impl Column {
    pub(super) fn of(name: &[u8]) -> Column {
        NAMES.iter().position(|n| n.as_bytes() == name).and_then(|i| KNOWN.get(i).copied()).unwrap_or(Column::Other)
    }

    fn name(self) -> &'static str {
        KNOWN.iter().position(|&c| c == self).and_then(|i| NAMES.get(i).copied()).unwrap_or("?")
    }
}

/// The fields of one row that the parser reads, by [`Column`].
struct Row<'a> {
    slots: [Option<&'a [u8]>; NAMES.len()],
    unset: &'a [u8],
    empty: &'a [u8],
}

impl<'a> Row<'a> {
    /// A column's value; unset (`-`), empty (`(empty)`) and `""` are `None`.
    fn get(&self, c: Column) -> Option<&'a [u8]> {
        self.slots.get(c as usize).copied().flatten().filter(|v| !v.is_empty() && *v != self.unset && *v != self.empty)
    }
}

/// The header state of the current block.
#[derive(Debug)]
pub(super) struct Header {
    sep: Vec<u8>,
    set_sep: Vec<u8>,
    empty: Vec<u8>,
    unset: Vec<u8>,
    /// `#path`, if the block had one.
    path: Option<Vec<u8>>,
    /// `#fields`, mapped; `None` until a `#fields` line is read.
    columns: Option<Vec<Column>>,
    /// Whether the `#fields` line named any [`CONN_ONLY`] column.
    conn_columns: bool,
    /// A required column (`ts`, `id.orig_h`, `id.resp_h`) the `#fields` line lacks.
    missing: Option<Column>,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            sep: b"\t".to_vec(),
            set_sep: b",".to_vec(),
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            path: None,
            columns: None,
            conn_columns: false,
            missing: None,
        }
    }
}

/// `key<sep or space>value` after the `#` → (key, value). The key is the run of lowercase
/// letters and `_`; Zeek writes `#separator \x09` (and btest masks `#open XXXX`) with a space,
/// every other header with the separator.
pub(super) fn split_header<'a>(rest: &'a [u8], sep: &[u8]) -> (&'a [u8], &'a [u8]) {
    let n = rest.iter().take_while(|c| c.is_ascii_lowercase() || **c == b'_').count();
    let (key, after) = rest.split_at(n.min(rest.len()));
    let value = after.strip_prefix(sep).or_else(|| after.strip_prefix(b" ")).unwrap_or(after);
    (key, value)
}

/// Decodes Zeek's `\xNN` escapes (other bytes are copied).
pub(super) fn unescape(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let (Some(h), Some(l)) = (b.get(i + 2).and_then(hex), b.get(i + 3).and_then(hex))
        {
            v.push(h << 4 | l);
            i += 4;
            continue;
        }
        v.push(c);
        i += 1;
    }
    v
}

fn hex(c: &u8) -> Option<u8> {
    // A hex digit is below 16, so the narrowing cast is exact.
    char::from(*c).to_digit(16).map(|d| d as u8)
}

/// Splits `line` on `sep` (one byte: memchr; longer: memmem).
pub(super) fn split<'a>(line: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let r = rest?;
        let found = match sep {
            [b] => memchr::memchr(*b, r),
            _ => memmem::find(r, sep),
        };
        match found {
            Some(i) => {
                rest = r.get(i + sep.len()..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

impl Header {
    /// A `#` line (leading blanks already removed).
    pub(super) fn header(&mut self, line: &[u8]) -> LineOutcome {
        if line.starts_with(b"### BTest baseline") {
            return LineOutcome::Ignored("btest header");
        }
        let rest = line.get(1..).unwrap_or_default();
        let (key, value) = split_header(rest, &self.sep);
        match key {
            b"separator" => {
                let sep = unescape(value.trim_ascii());
                if sep.is_empty() || sep.len() > MAX_MARKER {
                    *self = Header::default();
                    return reject("bad #separator", line);
                }
                *self = Header { sep, ..Header::default() };
            }
            b"set_separator" | b"empty_field" | b"unset_field" => {
                let v = unescape(value);
                if v.is_empty() || v.len() > MAX_MARKER {
                    return reject("bad header value", line);
                }
                match key {
                    b"set_separator" => self.set_sep = v,
                    b"empty_field" => self.empty = v,
                    _ => self.unset = v,
                }
            }
            b"path" => self.path = Some(value.to_vec()),
            b"fields" => return self.fields(line, value),
            b"close" => return LineOutcome::Ignored("footer"),
            b"open" | b"types" => {}
            _ => return LineOutcome::Ignored("comment"),
        }
        LineOutcome::Ignored("header")
    }

    fn fields(&mut self, line: &[u8], value: &[u8]) -> LineOutcome {
        self.columns = None;
        self.conn_columns = false;
        let mut cols = Vec::new();
        for name in split(value, &self.sep) {
            if cols.len() == MAX_FIELDS {
                return reject("too many fields", line);
            }
            self.conn_columns |= CONN_ONLY.iter().any(|n| n.as_bytes() == name);
            cols.push(Column::of(name));
        }
        if value.is_empty() {
            return reject("empty #fields", line);
        }
        self.missing = [Column::Ts, Column::OrigH, Column::RespH].into_iter().find(|c| !cols.contains(c));
        self.columns = Some(cols);
        LineOutcome::Ignored("header")
    }

    /// Whether the current block holds conn records (see the module doc).
    fn is_conn(&self) -> bool {
        match &self.path {
            Some(p) => is_conn_path(p),
            None => self.conn_columns,
        }
    }

    /// A data row.
    pub(super) fn row(&self, clock: &mut Clock, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let Some(cols) = &self.columns else {
            return reject("no #fields header", line);
        };
        if !self.is_conn() {
            return LineOutcome::Ignored("not a conn log");
        }
        if let Some(c) = self.missing {
            return LineOutcome::Rejected(Reject::new("incomplete #fields", format!("no {} column", c.name())));
        }
        let mut slots: [Option<&[u8]>; NAMES.len()] = [None; NAMES.len()];
        let mut n = 0;
        for field in split(line, &self.sep) {
            if let Some(c) = cols.get(n)
                && *c != Column::Other
                && let Some(slot) = slots.get_mut(*c as usize)
            {
                *slot = Some(field);
            }
            n += 1;
        }
        if n != cols.len() {
            let cut = line.get(..MAX_REJECT_DETAIL).unwrap_or(line);
            return LineOutcome::Rejected(Reject::new(
                "wrong field count",
                format!("{n} fields, #fields has {}: {}", cols.len(), String::from_utf8_lossy(cut)),
            ));
        }
        let row = Row { slots, unset: &self.unset, empty: &self.empty };
        match self.build(clock, &row) {
            Ok(e) => {
                out.push(e);
                LineOutcome::Events(1)
            }
            Err(o) => o,
        }
    }

    fn build(&self, clock: &mut Clock, row: &Row<'_>) -> Result<Event, LineOutcome> {
        let get = |c: Column| row.get(c);
        let ts = match get(Column::Ts) {
            None => return Err(reject("missing timestamp", b"ts")),
            Some(v) => parse_ts(clock, v).map_err(|r| bad_field(r, "ts", v))?,
        };
        let mut e = connection(ts);
        let addr = |c: Column| -> Result<Addr, LineOutcome> {
            let v = get(c).ok_or_else(|| reject("missing address", c.name().as_bytes()))?;
            parse_addr(v).ok_or_else(|| bad_field("bad address", c.name(), v))
        };
        set_orig(&mut e, addr(Column::OrigH)?);
        set_resp(&mut e, addr(Column::RespH)?);
        let num = |c: Column, reason: &'static str| -> Result<Option<u64>, LineOutcome> {
            match get(c) {
                None => Ok(None),
                Some(v) => std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(Some)
                    .ok_or_else(|| bad_field(reason, c.name(), v)),
            }
        };
        let port = |c: Column| -> Result<Option<u16>, LineOutcome> {
            match get(c) {
                None => Ok(None),
                Some(v) => std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<u16>().ok())
                    .map(Some)
                    .ok_or_else(|| bad_field("bad port", c.name(), v)),
            }
        };
        e.src_port = port(Column::OrigP)?;
        e.dst_port = port(Column::RespP)?;
        e.src_bytes = num(Column::OrigBytes, "bad count")?;
        e.dst_bytes = num(Column::RespBytes, "bad count")?;
        let resp_pkts = num(Column::RespPkts, "bad count")?;
        if let Some(v) = get(Column::Duration) {
            let d = std::str::from_utf8(v).ok().and_then(|s| s.parse::<f64>().ok()).and_then(valid_duration);
            e.duration = Some(d.ok_or_else(|| bad_field("bad duration", "duration", v))?);
        }
        e.session = get(Column::Uid).map(text);
        e.proto = get(Column::Proto).map(|p| text(p).to_ascii_lowercase());
        e.service = get(Column::Service).map(|s| {
            if self.set_sep.as_slice() == b"," {
                text(s)
            } else {
                split(s, &self.set_sep).map(text).collect::<Vec<_>>().join(",")
            }
        });
        e.conn_state = get(Column::ConnState).map(text);
        e.detail = get(Column::History).map(text);
        e.sensor = get(Column::Node).map(text);
        finish(&mut e, resp_pkts);
        Ok(e)
    }
}
