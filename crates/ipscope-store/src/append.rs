//! Events → an Arrow record batch for DuckDB's Arrow appender (one call per batch instead of
//! one per value).

use std::net::IpAddr;
use std::sync::Arc;

use duckdb::arrow::array::{
    Array, ArrayRef, PrimitiveBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt8Array, UInt64Array,
};
use duckdb::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float64Type, Schema, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use duckdb::arrow::error::ArrowError;
use duckdb::arrow::record_batch::RecordBatch;
use ipscope_event::{AddressInfo, Event, Geo, Micros, SourceFormat};

use crate::rollup::Rollup;
use crate::schema;

/// The key of the batch schema's metadata that names the table it goes to.
pub(crate) const TABLE_KEY: &str = "ipscope.table";

/// The event table a converted chunk goes to (named in its schema's metadata, so it travels
/// with a batch sent to the daemon). A chunk naming no event table (from an ipscope older than
/// schema 6) has every column it fills, `format` included: the wide table takes it.
pub(crate) fn table_of(chunk: &RecordBatch) -> &'static str {
    let schema = chunk.schema();
    let named = schema.metadata().get(TABLE_KEY).map_or("", String::as_str);
    schema::event_tables().find(|t| *t == named).unwrap_or(schema::WIDE_TABLE)
}

/// The number used for prefix arithmetic: IPv4 → the 32-bit address, IPv6 → its upper 64 bits.
pub fn ip_number(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64) as u64,
    }
}

/// Writes addresses as text, as `Display` does, without `core::fmt`, which formats each of an
/// IPv4 address's four octets through the padding machinery: that was 4 % of the Cowrie parser
/// thread (the bottleneck there). IPv6 (rare, with `::` compression rules) goes through `Display`.
#[derive(Default)]
pub(crate) struct IpText {
    buf: String,
}

impl IpText {
    /// The text of `ip`, valid until the next call.
    pub(crate) fn of(&mut self, ip: IpAddr) -> &str {
        self.buf.clear();
        match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        self.buf.push('.');
                    }
                    if octet >= 100 {
                        self.buf.push(char::from(b'0' + octet / 100));
                    }
                    if octet >= 10 {
                        self.buf.push(char::from(b'0' + octet / 10 % 10));
                    }
                    self.buf.push(char::from(b'0' + octet % 10));
                }
            }
            IpAddr::V6(_) => {
                use std::fmt::Write;
                // Writing into a String cannot fail.
                let _ = write!(self.buf, "{ip}");
            }
        }
        &self.buf
    }
}

/// A batch of events converted for the appender, as one or more chunks (see [`prepare_chunk`]):
/// only the columns that hold at least one value (the others stay NULL by the table's default).
#[derive(Default)]
pub struct EventBatch {
    pub(crate) chunks: Vec<RecordBatch>,
    pub(crate) rows: usize,
    /// Addresses first seen in this batch, stored in the same transaction.
    pub(crate) addresses: Option<AddressBatch>,
    /// The batch's rows of the hourly rollups (see `rollup.rs`), appended in its transaction.
    pub(crate) rollup: Option<RecordBatch>,
}

impl EventBatch {
    /// Number of events in the batch.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Number of addresses stored with the batch.
    pub fn addresses(&self) -> usize {
        self.addresses.as_ref().map_or(0, AddressBatch::len)
    }

    /// Stores `addresses` together with these events.
    pub fn with_addresses(mut self, addresses: AddressBatch) -> Self {
        self.addresses = Some(addresses);
        self
    }

    /// The converted chunks (for another backend: see [`EventBatch::chunk_format`]).
    pub fn chunks(&self) -> &[RecordBatch] {
        &self.chunks
    }

    /// The address rows stored with the batch (`ip`, the enrichment columns that hold a value,
    /// `enriched_at`), if any.
    pub fn address_rows(&self) -> Option<&RecordBatch> {
        self.addresses.as_ref().and_then(|a| a.batch.as_ref())
    }

    /// The format of a chunk's events when the chunk goes to a format's own table (which then
    /// has no `format` column); `None` for the wide table, whose chunks carry `format`.
    pub fn chunk_format(chunk: &RecordBatch) -> Option<SourceFormat> {
        let table = table_of(chunk);
        SourceFormat::ALL.into_iter().find(|f| schema::format_table(*f) == table)
    }

    /// The columns of the `events` view, in order, with their DuckDB types (schema V1).
    pub fn event_columns() -> &'static [(&'static str, &'static str)] {
        schema::EVENT_COLUMNS
    }

    /// A batch of chunks read back from a store (`ipscope migrate`), for another backend: each
    /// chunk has columns of [`EventBatch::event_columns`] by name, with the Arrow types
    /// [`prepare_chunk`] gives them (`ts` a microsecond timestamp, `format`, `kind` and
    /// `outcome` as text, numbers in their unsigned widths), `input_id` included. A chunk
    /// naming no table in its metadata is taken as the wide table's: it must carry `format`.
    /// No rollup rows and no addresses: the embedded store's [`Store::commit_batch`] is not
    /// what such a batch is for.
    ///
    /// [`Store::commit_batch`]: crate::Store::commit_batch
    pub fn from_chunks(chunks: Vec<RecordBatch>) -> EventBatch {
        let chunks: Vec<RecordBatch> = chunks.into_iter().filter(|c| c.num_rows() > 0).collect();
        let rows = chunks.iter().map(RecordBatch::num_rows).sum();
        EventBatch { chunks, rows, addresses: None, rollup: None }
    }
}

/// The longest text value stored: a longer one (a command pasted into a honeypot) keeps its
/// first bytes and ends with a note of how many were cut, `…[cut 23616 bytes]`. DuckDB holds a
/// column's 2 048-value vector in memory whole while it commits and checkpoints it: 2 048
/// values of 22 KB passed the ingest store's 48 MiB memory limit, the commit failed and the
/// whole input with it (values of 21 KB went through: the vector was what had to fit). At
/// 16 KiB a vector needs 32 MiB at most. The raw log keeps the whole line.
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// `s` cut to [`MAX_TEXT_BYTES`] (at a character boundary) with its note, written into `buf`.
fn cut_text<'b>(s: &str, buf: &'b mut String) -> &'b str {
    use std::fmt::Write;
    // The note takes at most 35 bytes ("…" is 3, a usize 20).
    let mut keep = MAX_TEXT_BYTES - 40;
    while !s.is_char_boundary(keep) {
        keep -= 1;
    }
    buf.clear();
    buf.push_str(&s[..keep]);
    // Writing into a String cannot fail.
    let _ = write!(buf, "…[cut {} bytes]", s.len() - keep);
    buf
}

/// Collects the non-empty columns of a batch of rows of type `T`.
struct Columns<'a, T> {
    events: &'a [T],
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl<'a, T> Columns<'a, T> {
    fn push(&mut self, name: &'static str, array: ArrayRef) {
        if array.null_count() == array.len() {
            return;
        }
        self.fields.push(Field::new(name, array.data_type().clone(), true));
        self.arrays.push(array);
    }

    fn text(&mut self, name: &'static str, f: impl Fn(&'a T) -> Option<&'a str>) {
        // Whether any row has a value, and their length, in one pass over the rows.
        let (any, bytes) = self.events.iter().fold((false, 0), |(any, bytes), e| match f(e) {
            Some(s) => (true, bytes + s.len().min(MAX_TEXT_BYTES)),
            None => (any, bytes),
        });
        if !any {
            return;
        }
        let mut b = StringBuilder::with_capacity(self.events.len(), bytes);
        let mut cut = String::new();
        for e in self.events {
            match f(e) {
                Some(s) if s.len() > MAX_TEXT_BYTES => b.append_value(cut_text(s, &mut cut)),
                v => b.append_option(v),
            }
        }
        self.push(name, Arc::new(b.finish()));
    }

    fn ip_text(&mut self, name: &'static str, f: impl Fn(&T) -> Option<IpAddr>) {
        if !self.events.iter().any(|e| f(e).is_some()) {
            return;
        }
        let mut b = StringBuilder::with_capacity(self.events.len(), self.events.len() * 15);
        let mut text = IpText::default();
        for e in self.events {
            match f(e) {
                Some(ip) => b.append_value(text.of(ip)),
                None => b.append_null(),
            }
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// A numeric column of Arrow type `T`.
    fn numbers<A: ArrowPrimitiveType>(&mut self, name: &'static str, f: impl Fn(&'a T) -> Option<A::Native>) {
        if self.events.iter().any(|e| f(e).is_some()) {
            let mut b = PrimitiveBuilder::<A>::with_capacity(self.events.len());
            self.events.iter().for_each(|e| b.append_option(f(e)));
            self.push(name, Arc::new(b.finish()));
        }
    }
}

/// Converts `events` (all from input `input_id`) for the appender. Pure computation: callers
/// run it on the parser thread so the store thread only appends.
pub fn prepare(events: &[Event], input_id: i32) -> Result<EventBatch, ArrowError> {
    let chunks = if events.is_empty() { Vec::new() } else { vec![prepare_chunk(events)?] };
    let mut rollup = Rollup::default();
    rollup.add(events);
    finish(chunks, &mut rollup, input_id)
}

/// Converts events for the appender, all but their input id (which a new input only gets at
/// its first commit, see [`finish`]). A stream's batcher converts its events a chunk at a time
/// as they come, so the wide `Event` structs of a whole batch are never held at once.
pub fn prepare_chunk(events: &[Event]) -> Result<RecordBatch, ArrowError> {
    let mut c = Columns { events, fields: Vec::new(), arrays: Vec::new() };
    let mut ts = TimestampMicrosecondBuilder::with_capacity(events.len());
    events.iter().for_each(|e| ts.append_value(e.ts));
    c.push("ts", Arc::new(ts.finish()));
    c.text("sensor", |e| e.sensor.as_deref());
    c.text("kind", |e| Some(e.kind.as_str()));
    c.text("outcome", |e| e.outcome.map(|o| o.as_str()));
    c.ip_text("src_ip", |e| e.src_ip);
    c.numbers::<UInt64Type>("src_ipnum", |e| e.src_ip.map(ip_number));
    c.numbers::<UInt8Type>("src_family", |e| e.src_ip.map(|ip| if ip.is_ipv6() { 6 } else { 4 }));
    c.text("src_host", |e| e.src_host.as_deref());
    c.numbers::<UInt16Type>("src_port", |e| e.src_port);
    c.ip_text("dst_ip", |e| e.dst_ip);
    c.numbers::<UInt16Type>("dst_port", |e| e.dst_port);
    c.text("proto", |e| e.proto.as_deref());
    c.text("username", |e| e.user.as_deref());
    c.text("password", |e| e.password.as_deref());
    c.text("session", |e| e.session.as_deref());
    c.numbers::<UInt64Type>("src_bytes", |e| e.src_bytes);
    c.numbers::<UInt64Type>("dst_bytes", |e| e.dst_bytes);
    c.numbers::<Float64Type>("duration", |e| e.duration);
    c.text("conn_state", |e| e.conn_state.as_deref());
    c.text("service", |e| e.service.as_deref());
    c.text("taxonomy", |e| e.taxonomy.as_deref());
    c.text("class_type", |e| e.class_type.as_deref());
    c.text("identifier", |e| e.identifier.as_deref());
    c.text("feed_provider", |e| e.feed_provider.as_deref());
    c.text("feed_name", |e| e.feed_name.as_deref());
    c.text("detail", |e| e.detail.as_deref());
    c.text("file_hash", |e| e.file_hash.as_deref());
    if events.iter().any(has_enrichment) {
        geo_columns(&mut c, |e| (&e.geo, e.asn, e.as_org.as_deref(), e.prefix.as_deref(), e.home_net.as_deref()));
    }
    // The format's own table when every event is of one format and it has every column they
    // fill (then `format` is the table and is not sent), else the wide table, with `format`.
    let format = events.first().map(|e| e.format);
    let narrow = format.filter(|&format| {
        events.iter().all(|e| e.format == format) && c.fields.iter().all(|f| schema::format_has(format, f.name()))
    });
    let table = match narrow {
        Some(format) => schema::format_table(format),
        None if events.is_empty() => schema::WIDE_TABLE,
        None => {
            let mut b = StringBuilder::with_capacity(events.len(), events.len() * 8);
            events.iter().for_each(|e| b.append_value(e.format.as_str()));
            // After `ts`, where the other columns put it.
            c.fields.insert(1, Field::new("format", DataType::Utf8, true));
            c.arrays.insert(1, Arc::new(b.finish()));
            schema::WIDE_TABLE
        }
    };
    let metadata: std::collections::HashMap<String, String> = [(TABLE_KEY.to_owned(), table.to_owned())].into();
    RecordBatch::try_new(Arc::new(Schema::new_with_metadata(c.fields, metadata)), c.arrays)
}

/// A chunk for a format's own table with its `src_ipnum` and `src_family` columns as that table
/// stores them since schema 8: `src_ip4` for the IPv4 addresses, `src_ip6hi` for the IPv6 ones
/// (see `schema::ADDRESS_NUMBER`); a column no row fills is left out, as [`prepare_chunk`] does.
/// Done here, where a chunk is appended, so every producer of chunks (ingest, the daemon's
/// clients, other backends) keeps the one `src_ipnum` of the `events` view.
pub(crate) fn split_address_number(chunk: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = chunk.schema();
    let (Ok(num), Ok(family)) = (schema.index_of("src_ipnum"), schema.index_of("src_family")) else {
        return Ok(chunk);
    };
    let wrong = |c: &str| ArrowError::SchemaError(format!("column {c} of an event chunk has an unexpected type"));
    let nums = chunk.column(num).as_any().downcast_ref::<UInt64Array>().ok_or_else(|| wrong("src_ipnum"))?;
    let families = chunk.column(family).as_any().downcast_ref::<UInt8Array>().ok_or_else(|| wrong("src_family"))?;
    let mut ip4 = PrimitiveBuilder::<UInt32Type>::with_capacity(chunk.num_rows());
    let mut ip6hi = PrimitiveBuilder::<UInt64Type>::with_capacity(chunk.num_rows());
    for (n, f) in nums.iter().zip(families.iter()) {
        match (n, f) {
            // An IPv4 number is the 32-bit address (`ip_number`).
            (Some(n), Some(4)) => {
                ip4.append_option(u32::try_from(n).ok());
                ip6hi.append_null();
            }
            (Some(n), Some(6)) => {
                ip4.append_null();
                ip6hi.append_value(n);
            }
            _ => {
                ip4.append_null();
                ip6hi.append_null();
            }
        }
    }
    let mut c = Columns::<()> { events: &[], fields: Vec::new(), arrays: Vec::new() };
    for (i, (field, array)) in schema.fields().iter().zip(chunk.columns()).enumerate() {
        if i == num {
            c.push(schema::IP4, Arc::new(ip4.finish()));
            c.push(schema::IP6HI, Arc::new(ip6hi.finish()));
        } else if i != family {
            c.fields.push(field.as_ref().clone());
            c.arrays.push(array.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new_with_metadata(c.fields, schema.metadata().clone())), c.arrays)
}

/// Whether an event carries enrichment of its own (a feed's): most carry none, and skipping
/// the 14 columns' scans for them saves the parser thread a tenth of its time on sshd. (The
/// same test as `AddressInfo::is_unknown`, on an event.)
pub(crate) fn has_enrichment(e: &Event) -> bool {
    !e.geo.is_empty() || e.asn.is_some() || e.as_org.is_some() || e.prefix.is_some() || e.home_net.is_some()
}

/// Stamps converted chunks with their input's id: the batch to commit, with the rollup rows of
/// the same events (counted by [`Rollup::add`] as they were converted), leaving `rollup` empty.
pub fn finish(chunks: Vec<RecordBatch>, rollup: &mut Rollup, input_id: i32) -> Result<EventBatch, ArrowError> {
    let mut rows = 0;
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks.into_iter().filter(|c| c.num_rows() > 0) {
        rows += chunk.num_rows();
        let ids: ArrayRef = Arc::new(duckdb::arrow::array::Int32Array::from_value(input_id, chunk.num_rows()));
        let schema = chunk.schema();
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new("input_id", ids.data_type().clone(), true));
        let mut arrays = chunk.columns().to_vec();
        arrays.push(ids);
        out.push(RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())), arrays)?);
    }
    Ok(EventBatch { chunks: out, rows, addresses: None, rollup: rollup.take_batch()? })
}

/// The enrichment of one row: geo, asn, as_org, prefix, home_net.
type GeoOf<'a> = (&'a Geo, Option<u32>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// The enrichment columns (`schema::GEO_COLUMNS`), shared by events and addresses.
fn geo_columns<'a, T>(c: &mut Columns<'a, T>, f: impl Fn(&'a T) -> GeoOf<'a> + Copy) {
    c.text("country_code", move |e| f(e).0.country_code.as_deref());
    c.text("country_name", move |e| f(e).0.country_name.as_deref());
    c.text("continent", move |e| f(e).0.continent.as_deref());
    c.text("region", move |e| f(e).0.region.as_deref());
    c.text("city", move |e| f(e).0.city.as_deref());
    c.text("postal_code", move |e| f(e).0.postal_code.as_deref());
    c.numbers::<Float64Type>("latitude", |e| f(e).0.latitude);
    c.numbers::<Float64Type>("longitude", |e| f(e).0.longitude);
    c.numbers::<UInt16Type>("accuracy_km", |e| f(e).0.accuracy_km);
    c.text("time_zone", move |e| f(e).0.time_zone.as_deref());
    c.numbers::<UInt32Type>("asn", |e| f(e).1);
    c.text("as_org", move |e| f(e).2);
    c.text("prefix", move |e| f(e).3);
    c.text("home_net", move |e| f(e).4);
}

/// Rows for the `addresses` table (one per newly enriched address), stamped `enriched_at`.
pub struct AddressBatch {
    pub(crate) batch: Option<RecordBatch>,
    pub(crate) rows: usize,
}

/// The key of an address batch's schema metadata that asks the store to add only addresses it
/// does not hold yet (set by [`AddressBatch::deduplicated`]; travels to the daemon with the batch).
pub(crate) const DEDUPE_KEY: &str = "ipscope.dedupe";

impl AddressBatch {
    /// The same rows, to be stored only where the store does not have the address yet: what a
    /// batcher whose address book started over (it forgot addresses the store holds) sends.
    pub fn deduplicated(self) -> Self {
        let batch = self.batch.map(|b| {
            let mut metadata = b.schema().metadata().clone();
            metadata.insert(DEDUPE_KEY.to_owned(), "1".to_owned());
            let schema = Schema::new_with_metadata(b.schema().fields().clone(), metadata);
            // Same columns, new metadata: cannot fail.
            b.clone().with_schema(Arc::new(schema)).unwrap_or(b)
        });
        AddressBatch { batch, rows: self.rows }
    }

    /// The rows as Arrow (`None` when there are none), for another backend to encode.
    pub fn rows(&self) -> Option<&RecordBatch> {
        self.batch.as_ref()
    }

    pub(crate) fn dedupe(&self) -> bool {
        self.batch.as_ref().is_some_and(|b| b.schema().metadata().contains_key(DEDUPE_KEY))
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// Converts enrichment results for the appender (pure computation, like [`prepare`]).
pub fn prepare_addresses(infos: &[AddressInfo], enriched_at: Micros) -> Result<AddressBatch, ArrowError> {
    if infos.is_empty() {
        return Ok(AddressBatch { batch: None, rows: 0 });
    }
    let mut c = Columns { events: infos, fields: Vec::new(), arrays: Vec::new() };
    c.ip_text("ip", |i| Some(i.ip));
    geo_columns(&mut c, |i| (&i.geo, i.asn, i.as_org.as_deref(), i.prefix.as_deref(), i.home_net.as_deref()));
    let mut at = TimestampMicrosecondBuilder::with_capacity(infos.len());
    infos.iter().for_each(|_| at.append_value(enriched_at));
    c.push("enriched_at", Arc::new(at.finish()));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(c.fields)), c.arrays)?;
    Ok(AddressBatch { batch: Some(batch), rows: infos.len() })
}

#[cfg(test)]
mod tests {
    use duckdb::arrow::array::StringArray;

    use super::*;

    proptest::proptest! {
        /// The hand-written text is `Display`'s, for any address of either family.
        #[test]
        fn ip_text_is_display(v4 in proptest::prelude::any::<u32>(), v6 in proptest::prelude::any::<u128>()) {
            let mut text = IpText::default();
            for ip in [IpAddr::from(v4.to_be_bytes()), IpAddr::from(v6.to_be_bytes())] {
                proptest::prop_assert_eq!(text.of(ip), ip.to_string());
            }
        }
    }

    #[test]
    fn ip_text_edges() {
        let mut text = IpText::default();
        for s in ["0.0.0.0", "255.255.255.255", "10.0.100.9", "1.20.3.199", "::", "::ffff:1.2.3.4", "2001:db8::1"] {
            let ip: IpAddr = s.parse().unwrap_or(IpAddr::from([9u8; 4]));
            assert_eq!(text.of(ip), s);
        }
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let mut buf = String::new();
        // A multi-byte character across the cut: the cut moves before it.
        let long = format!("{}é{}", "a".repeat(MAX_TEXT_BYTES - 41), "b".repeat(30_000));
        let cut = cut_text(&long, &mut buf).to_owned();
        assert!(cut.len() <= MAX_TEXT_BYTES, "{} bytes", cut.len());
        let kept = MAX_TEXT_BYTES - 41;
        assert_eq!(&cut[..kept], &long[..kept]);
        assert_eq!(&cut[kept..], format!("…[cut {} bytes]", long.len() - kept));
        // Through a chunk: the short value as it is, the long one cut.
        let e = |detail: &str| Event {
            detail: Some(detail.to_owned()),
            ..Event::new(0, SourceFormat::Cowrie, ipscope_event::EventKind::Command)
        };
        let Ok(chunk) = prepare_chunk(&[e("ls -la"), e(&long), e(&"c".repeat(MAX_TEXT_BYTES))]) else {
            panic!("chunk")
        };
        let Some(detail) = chunk.column_by_name("detail").and_then(|c| c.as_any().downcast_ref::<StringArray>()) else {
            panic!("no detail column")
        };
        assert_eq!(detail.value(0), "ls -la");
        assert_eq!(detail.value(1), cut);
        assert_eq!(detail.value(2).len(), MAX_TEXT_BYTES, "a value of exactly the limit is kept whole");
    }

    #[test]
    fn ip_numbers() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v4), 0x0102_0304);
        let v6: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v6), 0x2001_0db8_0001_0002);
    }
}
