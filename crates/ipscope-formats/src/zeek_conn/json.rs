//! Zeek's JSON writer (`LogAscii::use_json`): one flat object per line.

use serde_json::{Map, Value};

use super::{
    Addr, CONN_ONLY, bad_field, connection, finish, is_conn_path, parse_addr, parse_ts, set_orig, set_resp,
    ts_from_f64, valid_duration,
};
use crate::clock::Clock;
use crate::{Event, LineOutcome, reject};

/// Whether a JSON line is a conn record (for detection: must parse, name both addresses and be
/// a conn record by `_path` or a conn-only key).
pub(super) fn looks_like_conn(line: &[u8]) -> bool {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(line) else {
        return false;
    };
    is_conn(&m) && get(&m, "id.orig_h", "orig_h").is_some() && get(&m, "id.resp_h", "resp_h").is_some()
}

fn is_conn(m: &Map<String, Value>) -> bool {
    match m.get("_path") {
        Some(Value::String(p)) => is_conn_path(p.as_bytes()),
        _ => CONN_ONLY.iter().any(|k| m.get(*k).is_some_and(|v| !v.is_null())),
    }
}

/// A key, flat (`id.orig_h`) or inside an `id` object (`{"id": {"orig_h": ...}}`); `null` is
/// absent.
fn get<'m>(m: &'m Map<String, Value>, flat: &str, nested: &str) -> Option<&'m Value> {
    m.get(flat)
        .or_else(|| m.get("id").and_then(Value::as_object).and_then(|id| id.get(nested)))
        .filter(|v| !v.is_null())
}

/// The value as bytes for a rejection detail.
fn shown(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A string field (`""` = unset); `service` may also be a list of strings, joined with `,`.
fn string(m: &Map<String, Value>, key: &'static str) -> Result<Option<String>, LineOutcome> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(a)) if key == "service" => {
            let parts: Option<Vec<&str>> = a.iter().map(Value::as_str).collect();
            match parts {
                Some(p) if p.is_empty() => Ok(None),
                Some(p) => Ok(Some(p.join(","))),
                None => Err(bad_field("bad value", key, &shown(&Value::Array(a.clone())))),
            }
        }
        Some(v) => Err(bad_field("bad value", key, &shown(v))),
    }
}

/// A count: a non-negative integer, or a string of digits.
fn count(v: Option<&Value>, key: &'static str, reason: &'static str) -> Result<Option<u64>, LineOutcome> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    };
    n.map(Some).ok_or_else(|| bad_field(reason, key, &shown(v)))
}

fn port(m: &Map<String, Value>, flat: &'static str, nested: &str) -> Result<Option<u16>, LineOutcome> {
    match count(get(m, flat, nested), flat, "bad port")? {
        None => Ok(None),
        Some(p) => u16::try_from(p).map(Some).map_err(|_| bad_field("bad port", flat, p.to_string().as_bytes())),
    }
}

fn address(m: &Map<String, Value>, flat: &'static str, nested: &str) -> Result<Addr, LineOutcome> {
    match get(m, flat, nested) {
        None => Err(reject("missing address", flat.as_bytes())),
        Some(Value::String(s)) => parse_addr(s.as_bytes()).ok_or_else(|| bad_field("bad address", flat, s.as_bytes())),
        Some(v) => Err(bad_field("bad address", flat, &shown(v))),
    }
}

/// One JSON line.
pub(super) fn record(clock: &mut Clock, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
    let m = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return reject("not a json object", line),
        Err(_) => return reject("bad json", line),
    };
    if !is_conn(&m) {
        return LineOutcome::Ignored("not a conn log");
    }
    match build(clock, &m) {
        Ok(e) => {
            out.push(e);
            LineOutcome::Events(1)
        }
        Err(o) => o,
    }
}

fn build(clock: &mut Clock, m: &Map<String, Value>) -> Result<Event, LineOutcome> {
    let ts = match m.get("ts") {
        None | Some(Value::Null) => return Err(reject("missing timestamp", b"ts")),
        Some(Value::Number(n)) => {
            let ts = match n.as_u64() {
                Some(s) => i64::try_from(s).ok().and_then(|s| s.checked_mul(1_000_000)),
                None => n.as_f64().and_then(ts_from_f64),
            };
            ts.filter(|&t| t >= 0 && t / 1_000_000 <= super::MAX_TS_SECS)
                .ok_or_else(|| bad_field("bad timestamp", "ts", n.to_string().as_bytes()))?
        }
        Some(Value::String(s)) => parse_ts(clock, s.as_bytes()).map_err(|r| bad_field(r, "ts", s.as_bytes()))?,
        Some(v) => return Err(bad_field("bad timestamp", "ts", &shown(v))),
    };
    let mut e = connection(ts);
    set_orig(&mut e, address(m, "id.orig_h", "orig_h")?);
    set_resp(&mut e, address(m, "id.resp_h", "resp_h")?);
    e.src_port = port(m, "id.orig_p", "orig_p")?;
    e.dst_port = port(m, "id.resp_p", "resp_p")?;
    e.src_bytes = count(m.get("orig_bytes"), "orig_bytes", "bad count")?;
    e.dst_bytes = count(m.get("resp_bytes"), "resp_bytes", "bad count")?;
    let resp_pkts = count(m.get("resp_pkts"), "resp_pkts", "bad count")?;
    e.duration = match m.get("duration") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let d = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.parse::<f64>().ok(),
                _ => None,
            };
            Some(d.and_then(valid_duration).ok_or_else(|| bad_field("bad duration", "duration", &shown(v)))?)
        }
    };
    e.session = string(m, "uid")?;
    e.proto = string(m, "proto")?.map(|p| p.to_ascii_lowercase());
    e.service = string(m, "service")?;
    e.conn_state = string(m, "conn_state")?;
    e.detail = string(m, "history")?;
    e.sensor = string(m, "_node_name")?;
    finish(&mut e, resp_pkts);
    Ok(e)
}
