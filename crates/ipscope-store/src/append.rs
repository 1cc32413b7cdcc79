//! Events → an Arrow record batch in the column order of the `events` table, for DuckDB's
//! Arrow appender (one call per batch instead of one per value: the row appender's per-value
//! overhead was the ingest bottleneck at ~40 columns).

use std::net::IpAddr;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, StringBuilder, TimestampMicrosecondBuilder, UInt16Builder, UInt32Builder,
    UInt64Builder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::error::ArrowError;
use duckdb::arrow::record_batch::RecordBatch;
use ipscope_event::Event;

/// The number used for prefix arithmetic: IPv4 → the 32-bit address, IPv6 → its upper 64 bits.
pub fn ip_number(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64) as u64,
    }
}

fn schema() -> Schema {
    use DataType::*;
    let ts = Timestamp(TimeUnit::Microsecond, None);
    let cols: [(&str, DataType, bool); 41] = [
        ("ts", ts, false),
        ("format", Utf8, false),
        ("sensor", Utf8, true),
        ("kind", Utf8, false),
        ("outcome", Utf8, true),
        ("src_ip", Utf8, true),
        ("src_ipnum", UInt64, true),
        ("src_host", Utf8, true),
        ("src_port", UInt16, true),
        ("dst_ip", Utf8, true),
        ("dst_port", UInt16, true),
        ("proto", Utf8, true),
        ("username", Utf8, true),
        ("password", Utf8, true),
        ("session", Utf8, true),
        ("src_bytes", UInt64, true),
        ("dst_bytes", UInt64, true),
        ("duration", Float64, true),
        ("conn_state", Utf8, true),
        ("service", Utf8, true),
        ("taxonomy", Utf8, true),
        ("class_type", Utf8, true),
        ("identifier", Utf8, true),
        ("feed_provider", Utf8, true),
        ("feed_name", Utf8, true),
        ("detail", Utf8, true),
        ("country_code", Utf8, true),
        ("country_name", Utf8, true),
        ("continent", Utf8, true),
        ("region", Utf8, true),
        ("city", Utf8, true),
        ("postal_code", Utf8, true),
        ("latitude", Float64, true),
        ("longitude", Float64, true),
        ("accuracy_km", UInt16, true),
        ("time_zone", Utf8, true),
        ("asn", UInt32, true),
        ("as_org", Utf8, true),
        ("prefix", Utf8, true),
        ("home_net", Utf8, true),
        ("input_id", Int32, true),
    ];
    Schema::new(cols.into_iter().map(|(n, t, null)| Field::new(n, t, null)).collect::<Vec<_>>())
}

/// A text column built from one `Option<&str>` per event.
fn text<'a>(events: &'a [Event], f: impl Fn(&'a Event) -> Option<&'a str>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(events.len(), events.len() * 8);
    for e in events {
        b.append_option(f(e));
    }
    Arc::new(b.finish())
}

fn ip_text(events: &[Event], f: impl Fn(&Event) -> Option<IpAddr>) -> ArrayRef {
    use std::fmt::Write;
    let mut b = StringBuilder::with_capacity(events.len(), events.len() * 14);
    let mut buf = String::with_capacity(40);
    for e in events {
        match f(e) {
            Some(ip) => {
                buf.clear();
                // Writing into a String cannot fail.
                let _ = write!(buf, "{ip}");
                b.append_value(&buf);
            }
            None => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

fn u16s(events: &[Event], f: impl Fn(&Event) -> Option<u16>) -> ArrayRef {
    let mut b = UInt16Builder::with_capacity(events.len());
    events.iter().for_each(|e| b.append_option(f(e)));
    Arc::new(b.finish())
}

fn u64s(events: &[Event], f: impl Fn(&Event) -> Option<u64>) -> ArrayRef {
    let mut b = UInt64Builder::with_capacity(events.len());
    events.iter().for_each(|e| b.append_option(f(e)));
    Arc::new(b.finish())
}

fn f64s(events: &[Event], f: impl Fn(&Event) -> Option<f64>) -> ArrayRef {
    let mut b = Float64Builder::with_capacity(events.len());
    events.iter().for_each(|e| b.append_option(f(e)));
    Arc::new(b.finish())
}

/// Builds the record batch for `events`, all tagged with `input_id`.
pub fn record_batch(events: &[Event], input_id: Option<i32>) -> Result<RecordBatch, ArrowError> {
    let mut ts = TimestampMicrosecondBuilder::with_capacity(events.len());
    events.iter().for_each(|e| ts.append_value(e.ts));
    let mut asn = UInt32Builder::with_capacity(events.len());
    events.iter().for_each(|e| asn.append_option(e.asn));
    let mut input = Int32Builder::with_capacity(events.len());
    events.iter().for_each(|_| input.append_option(input_id));

    let columns: Vec<ArrayRef> = vec![
        Arc::new(ts.finish()),
        text(events, |e| Some(e.format.as_str())),
        text(events, |e| e.sensor.as_deref()),
        text(events, |e| Some(e.kind.as_str())),
        text(events, |e| e.outcome.map(|o| o.as_str())),
        ip_text(events, |e| e.src_ip),
        u64s(events, |e| e.src_ip.map(ip_number)),
        text(events, |e| e.src_host.as_deref()),
        u16s(events, |e| e.src_port),
        ip_text(events, |e| e.dst_ip),
        u16s(events, |e| e.dst_port),
        text(events, |e| e.proto.as_deref()),
        text(events, |e| e.user.as_deref()),
        text(events, |e| e.password.as_deref()),
        text(events, |e| e.session.as_deref()),
        u64s(events, |e| e.src_bytes),
        u64s(events, |e| e.dst_bytes),
        f64s(events, |e| e.duration),
        text(events, |e| e.conn_state.as_deref()),
        text(events, |e| e.service.as_deref()),
        text(events, |e| e.taxonomy.as_deref()),
        text(events, |e| e.class_type.as_deref()),
        text(events, |e| e.identifier.as_deref()),
        text(events, |e| e.feed_provider.as_deref()),
        text(events, |e| e.feed_name.as_deref()),
        text(events, |e| e.detail.as_deref()),
        text(events, |e| e.geo.country_code.as_deref()),
        text(events, |e| e.geo.country_name.as_deref()),
        text(events, |e| e.geo.continent.as_deref()),
        text(events, |e| e.geo.region.as_deref()),
        text(events, |e| e.geo.city.as_deref()),
        text(events, |e| e.geo.postal_code.as_deref()),
        f64s(events, |e| e.geo.latitude),
        f64s(events, |e| e.geo.longitude),
        u16s(events, |e| e.geo.accuracy_km),
        text(events, |e| e.geo.time_zone.as_deref()),
        Arc::new(asn.finish()),
        text(events, |e| e.as_org.as_deref()),
        text(events, |e| e.prefix.as_deref()),
        text(events, |e| e.home_net.as_deref()),
        Arc::new(input.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema()), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_numbers() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v4), 0x0102_0304);
        let v6: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v6), 0x2001_0db8_0001_0002);
    }
}
