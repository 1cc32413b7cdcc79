//! Byte encodings for handing store work to another process (the CLI → a running
//! `ipscope serve`, which owns the database file): batches as Arrow IPC streams, and query
//! results as typed JSON that decodes to exactly the [`Table`] the query produced, so a command
//! prints the same bytes whether it ran the query itself or the daemon did.

use std::io::Cursor;

use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use duckdb::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::{AddressBatch, EventBatch, Result, StoreError, Table, Value};

fn wire_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Wire(e.to_string())
}

/// One optional record batch as length-prefixed Arrow IPC (length 0 = none).
fn put_batch(out: &mut Vec<u8>, batch: Option<&RecordBatch>) -> Result<()> {
    let Some(batch) = batch else {
        out.extend_from_slice(&0u64.to_le_bytes());
        return Ok(());
    };
    let mut buf = Vec::new();
    {
        let mut w = StreamWriter::try_new(&mut buf, &batch.schema()).map_err(wire_err)?;
        w.write(batch).map_err(wire_err)?;
        w.finish().map_err(wire_err)?;
    }
    out.extend_from_slice(&(buf.len() as u64).to_le_bytes());
    out.extend_from_slice(&buf);
    Ok(())
}

/// Reads what [`put_batch`] wrote from the front of `input`, advancing it.
fn take_batch(input: &mut &[u8]) -> Result<Option<RecordBatch>> {
    let len = take_u64(input)? as usize;
    if len == 0 {
        return Ok(None);
    }
    if input.len() < len {
        return Err(wire_err("truncated batch"));
    }
    let (bytes, rest) = input.split_at(len);
    *input = rest;
    let mut reader = StreamReader::try_new(Cursor::new(bytes), None).map_err(wire_err)?;
    reader.next().transpose().map_err(wire_err)
}

fn take_u64(input: &mut &[u8]) -> Result<u64> {
    let (n, rest) = input.split_first_chunk::<8>().ok_or_else(|| wire_err("truncated length"))?;
    *input = rest;
    Ok(u64::from_le_bytes(*n))
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Takes a length-prefixed byte string from the front of `input`.
pub fn take_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8]> {
    let len = take_u64(input)? as usize;
    if input.len() < len {
        return Err(wire_err("truncated field"));
    }
    let (bytes, rest) = input.split_at(len);
    *input = rest;
    Ok(bytes)
}

/// Appends query results (`export` through the daemon): a count, then each batch.
pub fn put_batches(out: &mut Vec<u8>, batches: &[RecordBatch]) -> Result<()> {
    out.extend_from_slice(&(batches.len() as u64).to_le_bytes());
    batches.iter().try_for_each(|b| put_batch(out, Some(b)))
}

/// Takes what [`put_batches`] wrote.
pub fn take_batches(input: &mut &[u8]) -> Result<Vec<RecordBatch>> {
    let n = take_u64(input)?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend(take_batch(input)?);
    }
    Ok(out)
}

/// Appends an event batch (with its addresses).
pub fn put_event_batch(out: &mut Vec<u8>, b: &EventBatch) -> Result<()> {
    put_batches(out, &b.chunks)?;
    put_batch(out, b.addresses.as_ref().and_then(|a| a.batch.as_ref()))?;
    put_batch(out, b.rollup.as_ref())
}

/// Takes what [`put_event_batch`] wrote.
pub fn take_event_batch(input: &mut &[u8]) -> Result<EventBatch> {
    let chunks = take_batches(input)?;
    let addresses = take_batch(input)?.map(address_batch);
    let rollup = take_batch(input)?;
    Ok(EventBatch { rows: chunks.iter().map(RecordBatch::num_rows).sum(), chunks, addresses, rollup })
}

fn address_batch(b: RecordBatch) -> AddressBatch {
    AddressBatch { rows: b.num_rows(), batch: Some(b) }
}

/// Appends address batches (`enrich`).
pub fn put_address_batches(out: &mut Vec<u8>, batches: &[AddressBatch]) -> Result<()> {
    out.extend_from_slice(&(batches.len() as u64).to_le_bytes());
    batches.iter().try_for_each(|b| put_batch(out, b.batch.as_ref()))
}

/// Takes what [`put_address_batches`] wrote.
pub fn take_address_batches(input: &mut &[u8]) -> Result<Vec<AddressBatch>> {
    let n = take_u64(input)?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(take_batch(input)?.map_or(AddressBatch { batch: None, rows: 0 }, address_batch));
    }
    Ok(out)
}

/// A cell with its type: floats travel as their bits, so NaN and every last digit survive.
#[derive(Serialize, Deserialize)]
enum Cell {
    N,
    B(bool),
    I(i64),
    /// An unsigned value above `i64::MAX` (`Value::UInt`).
    U(u64),
    F(u64),
    T(String),
    Ts(i64),
    D(i32),
}

#[derive(Serialize, Deserialize)]
struct WireTable {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// A table as typed JSON.
pub fn table_to_json(t: &Table) -> String {
    let cell = |v: &Value| match v {
        Value::Null => Cell::N,
        Value::Bool(b) => Cell::B(*b),
        Value::Int(i) => Cell::I(*i),
        Value::UInt(u) => Cell::U(*u),
        Value::Float(f) => Cell::F(f.to_bits()),
        Value::Text(s) => Cell::T(s.clone()),
        Value::Timestamp(t) => Cell::Ts(*t),
        Value::Date(d) => Cell::D(*d),
    };
    let w =
        WireTable { columns: t.columns.clone(), rows: t.rows.iter().map(|r| r.iter().map(cell).collect()).collect() };
    // A struct of strings and numbers always serializes.
    serde_json::to_string(&w).unwrap_or_default()
}

/// Reads what [`table_to_json`] wrote.
pub fn table_from_json(s: &str) -> Result<Table> {
    let w: WireTable = serde_json::from_str(s).map_err(wire_err)?;
    let value = |c: Cell| match c {
        Cell::N => Value::Null,
        Cell::B(b) => Value::Bool(b),
        Cell::I(i) => Value::Int(i),
        Cell::U(u) => Value::UInt(u),
        Cell::F(bits) => Value::Float(f64::from_bits(bits)),
        Cell::T(s) => Value::Text(s),
        Cell::Ts(t) => Value::Timestamp(t),
        Cell::D(d) => Value::Date(d),
    };
    Ok(Table { columns: w.columns, rows: w.rows.into_iter().map(|r| r.into_iter().map(value).collect()).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_exactly() {
        let t = Table {
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Value::Float(0.1 + 0.2), Value::Float(f64::NAN)],
                vec![Value::Timestamp(-1), Value::Date(20_000)],
                vec![Value::Text("x\"\n\u{1b}".into()), Value::Null],
                vec![Value::Int(i64::MIN), Value::Bool(true)],
                vec![Value::UInt(u64::MAX), Value::Null],
            ],
        };
        let back = table_from_json(&table_to_json(&t)).unwrap_or_default();
        assert_eq!(back.columns, t.columns);
        assert_eq!(back.rows.len(), 5);
        assert_eq!(back.rows[0][0], Value::Float(0.1 + 0.2));
        assert!(matches!(back.rows[0][1], Value::Float(f) if f.is_nan()));
        assert_eq!(back.rows[1..], t.rows[1..]);
    }
}
