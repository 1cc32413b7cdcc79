//! Events → an Arrow record batch for DuckDB's Arrow appender (one call per batch instead of
//! one per value).

use std::net::IpAddr;
use std::sync::Arc;

use duckdb::arrow::array::{Array, ArrayBuilder, ArrayRef, PrimitiveBuilder, StringBuilder, UInt8Array, UInt64Array};
use duckdb::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float64Type, Schema, TimestampMicrosecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
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

    /// The same batch with its events and rollup rows stripped of the text columns `drop`
    /// names, or of every text column but `kind`, `outcome` and `format` when it is empty (the
    /// store writes NULL there; addresses keep theirs). Not for storing: the `store_thread`
    /// example measures with it what text columns cost the store thread.
    #[doc(hidden)]
    pub fn without_text(mut self, drop: &[&str]) -> Self {
        let strip = |b: RecordBatch| -> RecordBatch {
            let keep: Vec<usize> = (0..b.num_columns())
                .filter(|&i| {
                    let f = b.schema_ref().field(i);
                    let name = f.name().as_str();
                    *f.data_type() != DataType::Utf8
                        || if drop.is_empty() {
                            ["kind", "outcome", "format"].contains(&name)
                        } else {
                            !drop.contains(&name)
                        }
                })
                .collect();
            b.project(&keep).unwrap_or(b)
        };
        self.chunks = self.chunks.into_iter().map(strip).collect();
        self.rollup = self.rollup.map(strip);
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

/// The non-empty columns of a chunk, in order.
#[derive(Default)]
struct Fields {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Fields {
    fn push(&mut self, name: &'static str, array: ArrayRef) {
        if array.null_count() == array.len() {
            return;
        }
        self.fields.push(Field::new(name, array.data_type().clone(), true));
        self.arrays.push(array);
    }
}

/// Rows converted a block at a time: a block of [`BLOCK_ROWS`] events (~0.7 KiB each, most of
/// it empty `Option`s) stays in a core's L2 cache while every column reads its field from it.
/// Converted a column at a time over 16 k events (~11 MiB), each column's pass missed the cache
/// on every event: the first pass over the geo fields alone was 5.5 % of the sshd parser thread
/// (perf), all of it waiting for memory. 512 × 0.7 KiB (~360 KiB) leaves most of a 1 MiB L2
/// (the project's bench machine) to the builders.
pub const BLOCK_ROWS: usize = 512;

/// One column of a chunk, built from rows of type `T` a block at a time. A column's builder
/// starts at its first value (rows before it are NULL), so a column no row fills is never built.
trait Fill<T>: Send {
    /// Appends `rows`, rows `at..` of the chunk.
    fn add(&mut self, rows: &[T], at: usize);
    /// Ends the chunk at `len` rows: pushes the column (or columns) into `out` and starts over.
    fn finish(&mut self, len: usize, out: &mut Fields);
}

/// What the columns need of their Arrow builder (`append_nulls` is each builder's own).
trait Builder: ArrayBuilder {
    fn append_nulls(&mut self, n: usize);

    /// Appends NULLs up to `rows` rows.
    fn pad_to(&mut self, rows: usize) {
        if rows > self.len() {
            Builder::append_nulls(self, rows - self.len());
        }
    }

    /// The array, its buffers shrunk to what it holds: a builder starts with room for the
    /// longest chunk so far and its text buffer grows by doubling, and a chunk's memory is what
    /// counts toward its batch's bytes (`BATCH_BYTES` in the batcher).
    fn array(&mut self) -> ArrayRef {
        let mut array = ArrayBuilder::finish(self);
        // Just built: the only reference.
        if let Some(array) = Arc::get_mut(&mut array) {
            array.shrink_to_fit();
        }
        array
    }
}

impl Builder for StringBuilder {
    fn append_nulls(&mut self, n: usize) {
        StringBuilder::append_nulls(self, n);
    }
}

impl<A: ArrowPrimitiveType> Builder for PrimitiveBuilder<A> {
    fn append_nulls(&mut self, n: usize) {
        PrimitiveBuilder::append_nulls(self, n);
    }
}

/// Ends a column at `len` rows into `out`; a column that was never started has no value.
fn finish_column(b: Option<impl Builder>, name: &'static str, len: usize, out: &mut Fields) {
    if let Some(mut b) = b {
        b.pad_to(len);
        out.push(name, b.array());
    }
}

/// A text column; values longer than [`MAX_TEXT_BYTES`] are cut with a note.
struct Text<F> {
    name: &'static str,
    get: F,
    /// The longest chunk so far: the rows a new builder has room for.
    rows_hint: usize,
    b: Option<StringBuilder>,
    cut: String,
}

fn text<T: 'static>(name: &'static str, get: impl Fn(&T) -> Option<&str> + Send + 'static) -> Box<dyn Fill<T>> {
    Box::new(Text { name, get, rows_hint: 0, b: None, cut: String::new() })
}

impl<T, F: Fn(&T) -> Option<&str> + Send> Fill<T> for Text<F> {
    fn add(&mut self, rows: &[T], at: usize) {
        let b = match &mut self.b {
            Some(b) => b,
            None => {
                if !rows.iter().any(|r| (self.get)(r).is_some()) {
                    return;
                }
                // Room for this block's text; later blocks grow it.
                let bytes = rows.iter().filter_map(|r| (self.get)(r)).map(|s| s.len().min(MAX_TEXT_BYTES)).sum();
                self.b.insert(StringBuilder::with_capacity(self.rows_hint.max(at + rows.len()), bytes))
            }
        };
        b.pad_to(at);
        for r in rows {
            match (self.get)(r) {
                Some(s) if s.len() > MAX_TEXT_BYTES => b.append_value(cut_text(s, &mut self.cut)),
                v => b.append_option(v),
            }
        }
    }

    fn finish(&mut self, len: usize, out: &mut Fields) {
        self.rows_hint = self.rows_hint.max(len);
        finish_column(self.b.take(), self.name, len, out);
    }
}

/// An address column, as canonical text.
struct IpColumn<F> {
    name: &'static str,
    get: F,
    rows_hint: usize,
    b: Option<StringBuilder>,
    text: IpText,
}

fn ip_text<T: 'static>(name: &'static str, get: impl Fn(&T) -> Option<IpAddr> + Send + 'static) -> Box<dyn Fill<T>> {
    Box::new(IpColumn { name, get, rows_hint: 0, b: None, text: IpText::default() })
}

impl<T, F: Fn(&T) -> Option<IpAddr> + Send> Fill<T> for IpColumn<F> {
    fn add(&mut self, rows: &[T], at: usize) {
        let b = match &mut self.b {
            Some(b) => b,
            None if rows.iter().any(|r| (self.get)(r).is_some()) => {
                let n = self.rows_hint.max(at + rows.len());
                self.b.insert(StringBuilder::with_capacity(n, n * 15))
            }
            None => return,
        };
        b.pad_to(at);
        for r in rows {
            match (self.get)(r) {
                Some(ip) => b.append_value(self.text.of(ip)),
                None => b.append_null(),
            }
        }
    }

    fn finish(&mut self, len: usize, out: &mut Fields) {
        self.rows_hint = self.rows_hint.max(len);
        finish_column(self.b.take(), self.name, len, out);
    }
}

/// A column of numbers (or times) of Arrow type `A`.
struct Numbers<A: ArrowPrimitiveType, F> {
    name: &'static str,
    get: F,
    rows_hint: usize,
    b: Option<PrimitiveBuilder<A>>,
}

fn numbers<A: ArrowPrimitiveType, T: 'static>(
    name: &'static str,
    get: impl Fn(&T) -> Option<A::Native> + Send + 'static,
) -> Box<dyn Fill<T>> {
    Box::new(Numbers::<A, _> { name, get, rows_hint: 0, b: None })
}

impl<T, A: ArrowPrimitiveType, F: Fn(&T) -> Option<A::Native> + Send> Fill<T> for Numbers<A, F> {
    fn add(&mut self, rows: &[T], at: usize) {
        let b = match &mut self.b {
            Some(b) => b,
            None if rows.iter().any(|r| (self.get)(r).is_some()) => {
                self.b.insert(PrimitiveBuilder::with_capacity(self.rows_hint.max(at + rows.len())))
            }
            None => return,
        };
        b.pad_to(at);
        rows.iter().for_each(|r| b.append_option((self.get)(r)));
    }

    fn finish(&mut self, len: usize, out: &mut Fields) {
        self.rows_hint = self.rows_hint.max(len);
        finish_column(self.b.take(), self.name, len, out);
    }
}

/// Columns that only a block with a row passing `when` adds to (the enrichment columns: most
/// events carry none, and skipping their 14 columns' reads saves the parser thread a tenth of
/// its time on sshd).
struct When<T> {
    when: fn(&T) -> bool,
    columns: Vec<Box<dyn Fill<T>>>,
}

impl<T: 'static> Fill<T> for When<T> {
    fn add(&mut self, rows: &[T], at: usize) {
        if rows.iter().any(self.when) {
            self.columns.iter_mut().for_each(|c| c.add(rows, at));
        }
    }

    fn finish(&mut self, len: usize, out: &mut Fields) {
        self.columns.iter_mut().for_each(|c| c.finish(len, out));
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
/// its first commit, see [`finish`]): [`ChunkBuilder`] fed them all at once.
pub fn prepare_chunk(events: &[Event]) -> Result<RecordBatch, ArrowError> {
    let mut chunk = ChunkBuilder::default();
    chunk.add(events);
    chunk.finish()
}

/// Events converted for the appender as they come, [`BLOCK_ROWS`] at a time, into one chunk
/// (a record batch) per [`ChunkBuilder::finish`]: only the columns that hold at least one value,
/// for the format's own table when the events fit it. A stream's batcher hands it each block
/// of events as it is parsed, so the wide `Event` structs of a whole batch are never held at
/// once and each is converted while still in the cache.
pub struct ChunkBuilder {
    columns: Vec<Box<dyn Fill<Event>>>,
    /// Every converted event's format, in order (so also the chunk's length).
    formats: Vec<SourceFormat>,
}

impl Default for ChunkBuilder {
    fn default() -> Self {
        let enrichment = When {
            when: has_enrichment,
            columns: geo_columns(|e: &Event| {
                (&e.geo, e.asn, e.as_org.as_deref(), e.prefix.as_deref(), e.home_net.as_deref())
            }),
        };
        let columns = vec![
            numbers::<TimestampMicrosecondType, _>("ts", |e: &Event| Some(e.ts)),
            text("sensor", |e: &Event| e.sensor.as_deref()),
            text("kind", |e: &Event| Some(e.kind.as_str())),
            text("outcome", |e: &Event| e.outcome.map(|o| o.as_str())),
            ip_text("src_ip", |e: &Event| e.src_ip),
            numbers::<UInt64Type, _>("src_ipnum", |e: &Event| e.src_ip.map(ip_number)),
            numbers::<UInt8Type, _>("src_family", |e: &Event| e.src_ip.map(|ip| if ip.is_ipv6() { 6 } else { 4 })),
            text("src_host", |e: &Event| e.src_host.as_deref()),
            numbers::<UInt16Type, _>("src_port", |e: &Event| e.src_port),
            ip_text("dst_ip", |e: &Event| e.dst_ip),
            numbers::<UInt16Type, _>("dst_port", |e: &Event| e.dst_port),
            text("proto", |e: &Event| e.proto.as_deref()),
            text("username", |e: &Event| e.user.as_deref()),
            text("password", |e: &Event| e.password.as_deref()),
            text("session", |e: &Event| e.session.as_deref()),
            numbers::<UInt64Type, _>("src_bytes", |e: &Event| e.src_bytes),
            numbers::<UInt64Type, _>("dst_bytes", |e: &Event| e.dst_bytes),
            numbers::<Float64Type, _>("duration", |e: &Event| e.duration),
            text("conn_state", |e: &Event| e.conn_state.as_deref()),
            text("service", |e: &Event| e.service.as_deref()),
            text("taxonomy", |e: &Event| e.taxonomy.as_deref()),
            text("class_type", |e: &Event| e.class_type.as_deref()),
            text("identifier", |e: &Event| e.identifier.as_deref()),
            text("feed_provider", |e: &Event| e.feed_provider.as_deref()),
            text("feed_name", |e: &Event| e.feed_name.as_deref()),
            text("detail", |e: &Event| e.detail.as_deref()),
            text("file_hash", |e: &Event| e.file_hash.as_deref()),
            Box::new(enrichment),
        ];
        ChunkBuilder { columns, formats: Vec::new() }
    }
}

impl ChunkBuilder {
    /// Converts `events` into the chunk, after those added before.
    pub fn add(&mut self, events: &[Event]) {
        for block in events.chunks(BLOCK_ROWS) {
            let at = self.formats.len();
            self.columns.iter_mut().for_each(|c| c.add(block, at));
            self.formats.extend(block.iter().map(|e| e.format));
        }
    }

    /// Events converted since the last [`ChunkBuilder::finish`].
    pub fn len(&self) -> usize {
        self.formats.len()
    }

    pub fn is_empty(&self) -> bool {
        self.formats.is_empty()
    }

    /// The chunk of the events added since the last call, ready for the batch's
    /// [`finish`](crate::append::finish); the builder starts the next one.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut c = Fields::default();
        let len = self.formats.len();
        self.columns.iter_mut().for_each(|col| col.finish(len, &mut c));
        let formats = &self.formats;
        // The format's own table when every event is of one format and it has every column
        // they fill (then `format` is the table and is not sent), else the wide table, with
        // `format`.
        let format = formats.first().copied();
        let narrow = format.filter(|&format| {
            formats.iter().all(|f| *f == format) && c.fields.iter().all(|f| schema::format_has(format, f.name()))
        });
        let table = match narrow {
            Some(format) => schema::format_table(format),
            None if formats.is_empty() => schema::WIDE_TABLE,
            None => {
                let mut b = StringBuilder::with_capacity(len, len * 8);
                formats.iter().for_each(|f| b.append_value(f.as_str()));
                // After `ts`, where the other columns put it.
                c.fields.insert(1, Field::new("format", DataType::Utf8, true));
                c.arrays.insert(1, Arc::new(b.finish()));
                schema::WIDE_TABLE
            }
        };
        self.formats.clear();
        let metadata: std::collections::HashMap<String, String> = [(TABLE_KEY.to_owned(), table.to_owned())].into();
        RecordBatch::try_new(Arc::new(Schema::new_with_metadata(c.fields, metadata)), c.arrays)
    }
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
    let mut c = Fields::default();
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

/// Whether an event carries enrichment of its own (a feed's); most carry none (see [`When`]).
/// (The same test as `AddressInfo::is_unknown`, on an event.)
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
fn geo_columns<T: 'static>(f: impl for<'a> Fn(&'a T) -> GeoOf<'a> + Copy + Send + 'static) -> Vec<Box<dyn Fill<T>>> {
    vec![
        text("country_code", move |e| f(e).0.country_code.as_deref()),
        text("country_name", move |e| f(e).0.country_name.as_deref()),
        text("continent", move |e| f(e).0.continent.as_deref()),
        text("region", move |e| f(e).0.region.as_deref()),
        text("city", move |e| f(e).0.city.as_deref()),
        text("postal_code", move |e| f(e).0.postal_code.as_deref()),
        numbers::<Float64Type, _>("latitude", move |e| f(e).0.latitude),
        numbers::<Float64Type, _>("longitude", move |e| f(e).0.longitude),
        numbers::<UInt16Type, _>("accuracy_km", move |e| f(e).0.accuracy_km),
        text("time_zone", move |e| f(e).0.time_zone.as_deref()),
        numbers::<UInt32Type, _>("asn", move |e| f(e).1),
        text("as_org", move |e| f(e).2),
        text("prefix", move |e| f(e).3),
        text("home_net", move |e| f(e).4),
    ]
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
    let mut columns = vec![ip_text("ip", |i: &AddressInfo| Some(i.ip))];
    columns.extend(geo_columns(|i: &AddressInfo| {
        (&i.geo, i.asn, i.as_org.as_deref(), i.prefix.as_deref(), i.home_net.as_deref())
    }));
    columns.push(numbers::<TimestampMicrosecondType, _>("enriched_at", move |_: &AddressInfo| Some(enriched_at)));
    let mut c = Fields::default();
    for column in &mut columns {
        column.add(infos, 0);
        column.finish(infos.len(), &mut c);
    }
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

    /// Events over three blocks, fed in uneven slices: each column holds each row's value
    /// (NULL before a column's first value and after its last), whatever the slicing, and
    /// equal to the chunk of all of them at once.
    #[test]
    fn chunk_built_block_by_block() {
        use duckdb::arrow::array::{TimestampMicrosecondArray, UInt16Array};
        let n = 2 * BLOCK_ROWS + 276;
        let events = |last_format: SourceFormat| -> Vec<Event> {
            (0..n)
                .map(|i| {
                    let format = if i == n - 1 { last_format } else { SourceFormat::Intelmq };
                    let mut e = Event::new(i as i64 * 1_000_000, format, ipscope_event::EventKind::Command);
                    e.src_ip = (i % 2 == 0).then(|| IpAddr::from([10, 0, (i / 256) as u8, i as u8]));
                    e.src_port = (i > BLOCK_ROWS + 3).then_some(i as u16);
                    e.detail = (i == n - 10).then(|| format!("late {i}"));
                    e.geo.country_code = (i == BLOCK_ROWS + 7).then(|| "NL".to_owned());
                    e
                })
                .collect()
        };
        for (last, table) in [(SourceFormat::Intelmq, "events_intelmq"), (SourceFormat::Sshd, schema::WIDE_TABLE)] {
            let events = events(last);
            let Ok(whole) = prepare_chunk(&events) else { panic!("chunk") };
            for slices in [vec![1, 3, BLOCK_ROWS, 700], vec![BLOCK_ROWS - 1, 2], vec![n]] {
                let mut b = ChunkBuilder::default();
                let mut at = 0;
                for len in slices.iter().cycle() {
                    let end = (at + len).min(n);
                    b.add(&events[at..end]);
                    at = end;
                    if at == n {
                        break;
                    }
                }
                assert_eq!(b.len(), n);
                let Ok(chunk) = b.finish() else { panic!("chunk") };
                assert!(b.is_empty(), "the builder starts over");
                assert_eq!(chunk, whole, "slices {slices:?}");
                // The same builder, again (as a batcher uses it): the same chunk.
                b.add(&events);
                assert_eq!(b.finish().ok().as_ref(), Some(&whole), "second chunk, slices {slices:?}");
                let fields: Vec<String> =
                    chunk.schema().fields().iter().map(|f| format!("{} {}", f.name(), f.data_type())).collect();
                let format = if table == schema::WIDE_TABLE { vec!["format Utf8"] } else { vec![] };
                let expected: Vec<&str> = ["ts Timestamp(µs)"]
                    .into_iter()
                    .chain(format)
                    .chain([
                        "kind Utf8",
                        "src_ip Utf8",
                        "src_ipnum UInt64",
                        "src_family UInt8",
                        "src_port UInt16",
                        "detail Utf8",
                        "country_code Utf8",
                    ])
                    .collect();
                assert_eq!(fields, expected);
                assert_eq!(table_of(&chunk), table);
                let text =
                    |name: &str| chunk.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>());
                let (Some(ip), Some(detail), Some(cc)) = (text("src_ip"), text("detail"), text("country_code")) else {
                    panic!("columns {:?}", chunk.schema())
                };
                let ts =
                    chunk.column_by_name("ts").and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
                let port = chunk.column_by_name("src_port").and_then(|c| c.as_any().downcast_ref::<UInt16Array>());
                let (Some(ts), Some(port)) = (ts, port) else { panic!("columns {:?}", chunk.schema()) };
                for (i, e) in events.iter().enumerate() {
                    assert_eq!(ts.value(i), e.ts);
                    assert_eq!(
                        ip.is_valid(i).then(|| ip.value(i).to_owned()),
                        e.src_ip.map(|a| a.to_string()),
                        "row {i}"
                    );
                    assert_eq!(port.is_valid(i).then(|| port.value(i)), e.src_port, "row {i}");
                    assert_eq!(detail.is_valid(i).then(|| detail.value(i)), e.detail.as_deref(), "row {i}");
                    assert_eq!(cc.is_valid(i).then(|| cc.value(i)), e.geo.country_code.as_deref(), "row {i}");
                }
                // Columns no event fills are left out.
                assert!(chunk.column_by_name("password").is_none() && chunk.column_by_name("city").is_none());
            }
        }
    }

    #[test]
    fn ip_numbers() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v4), 0x0102_0304);
        let v6: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(ip_number(v6), 0x2001_0db8_0001_0002);
    }
}
