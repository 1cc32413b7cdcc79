//! Arrow chunks (as the embedded store prepares them) → ClickHouse `RowBinary`.
//!
//! Every column of the table is written, in the table's order (no column list in the INSERT,
//! nothing left to a server default): a column the chunk lacks is NULL, a narrow chunk's
//! `format` comes from its table, `batch_id` is the attempt's.
//! RowBinary: little-endian numbers, `DateTime` = u32 seconds, `String` = LEB128 length + bytes,
//! `Enum8` = its i8 value, `Nullable(T)` = a byte 1 (NULL) or 0 followed by T.

use duckdb::arrow::array::{Array, AsArray, PrimitiveArray, StringArray, TimestampMicrosecondArray};
use duckdb::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float64Type, Int32Type, TimeUnit, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use duckdb::arrow::record_batch::RecordBatch;

use crate::schema::{BATCH_ID, Col, Ty};
use crate::{Error, Result};

/// Where a column's values come from, for one chunk.
enum Source<'a> {
    /// The chunk lacks the column: NULL in every row.
    Null,
    /// The same bytes in every row (already encoded, without the NULL flag).
    Const(Vec<u8>),
    Time(&'a TimestampMicrosecondArray),
    Str(&'a StringArray),
    Enum(&'a StringArray, Vec<&'static str>),
    U8(&'a PrimitiveArray<UInt8Type>),
    U16(&'a PrimitiveArray<UInt16Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    F64(&'a PrimitiveArray<Float64Type>),
}

fn bad(col: &str, why: impl std::fmt::Display) -> Error {
    Error::Batch(format!("column {col}: {why}"))
}

fn primitive<'a, T: ArrowPrimitiveType>(col: &Col, a: &'a dyn Array) -> Result<&'a PrimitiveArray<T>> {
    a.as_primitive_opt::<T>().ok_or_else(|| bad(col.name, format!("unexpected Arrow type {}", a.data_type())))
}

fn source<'a>(col: &Col, chunk: &'a RecordBatch, constant: Option<Vec<u8>>) -> Result<Source<'a>> {
    if let Some(bytes) = constant {
        return Ok(Source::Const(bytes));
    }
    let Some(a) = chunk.column_by_name(col.source) else {
        return if col.nullable { Ok(Source::Null) } else { Err(bad(col.name, "missing from the batch")) };
    };
    let a = a.as_ref();
    let string =
        || a.as_string_opt::<i32>().ok_or_else(|| bad(col.name, format!("unexpected Arrow type {}", a.data_type())));
    Ok(match col.ty {
        Ty::DateTime | Ty::SubMicros => match a.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, _) => Source::Time(a.as_primitive()),
            t => return Err(bad(col.name, format!("unexpected Arrow type {t}"))),
        },
        Ty::Str => Source::Str(string()?),
        Ty::Enum(v) => Source::Enum(string()?, v.names()),
        Ty::U8 => Source::U8(primitive(col, a)?),
        Ty::U16 => Source::U16(primitive(col, a)?),
        Ty::U32 => Source::U32(primitive(col, a)?),
        Ty::U64 => Source::U64(primitive(col, a)?),
        Ty::I32 => Source::I32(primitive(col, a)?),
        Ty::F64 => Source::F64(primitive(col, a)?),
    })
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Splits microseconds since the epoch into `DateTime` seconds and the microseconds within.
pub(crate) fn split_micros(us: i64) -> Result<(u32, u32)> {
    let secs = us.div_euclid(1_000_000);
    let sub = us.rem_euclid(1_000_000) as u32;
    let secs = u32::try_from(secs).map_err(|_| Error::Timestamp(us))?;
    Ok((secs, sub))
}

fn enum_value(names: &[&str], name: &str, col: &str) -> Result<u8> {
    let i = names.iter().position(|n| *n == name).ok_or_else(|| bad(col, format!("unknown value {name:?}")))?;
    // Vocabularies have fewer than 127 names (unit-tested via the DDL), so i + 1 fits an i8.
    Ok((i + 1) as u8)
}

/// Appends the rows of `chunk` to `out`. `batch_id` fills that column; `format` fills
/// `format` when the chunk has none (a narrow chunk: the format of its table).
pub(crate) fn encode(
    cols: &[Col],
    chunk: &RecordBatch,
    format: Option<&str>,
    batch_id: Option<u64>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut sources = Vec::with_capacity(cols.len());
    for col in cols {
        let constant = match (col.name, col.ty) {
            (BATCH_ID, _) => batch_id.map(|id| id.to_le_bytes().to_vec()),
            ("format", Ty::Enum(v)) if chunk.column_by_name("format").is_none() => match format {
                Some(f) => Some(vec![enum_value(&v.names(), f, col.name)?]),
                None => None,
            },
            _ => None,
        };
        sources.push(source(col, chunk, constant)?);
    }
    for row in 0..chunk.num_rows() {
        for (col, src) in cols.iter().zip(&sources) {
            write_value(col, src, row, out)?;
        }
    }
    Ok(())
}

fn write_value(col: &Col, src: &Source<'_>, row: usize, out: &mut Vec<u8>) -> Result<()> {
    let null = match src {
        Source::Null => true,
        Source::Const(_) => false,
        Source::Time(a) => a.is_null(row),
        Source::Str(a) | Source::Enum(a, _) => a.is_null(row),
        Source::U8(a) => a.is_null(row),
        Source::U16(a) => a.is_null(row),
        Source::U32(a) => a.is_null(row),
        Source::U64(a) => a.is_null(row),
        Source::I32(a) => a.is_null(row),
        Source::F64(a) => a.is_null(row),
    };
    if col.nullable {
        out.push(u8::from(null));
        if null {
            return Ok(());
        }
    } else if null {
        return Err(bad(col.name, format!("NULL in row {row} of a non-nullable column")));
    }
    match src {
        Source::Null => {}
        Source::Const(bytes) => out.extend_from_slice(bytes),
        Source::Time(a) => {
            let (secs, sub) = split_micros(a.value(row))?;
            let v = if col.ty == Ty::SubMicros { sub } else { secs };
            out.extend_from_slice(&v.to_le_bytes());
        }
        Source::Str(a) => {
            let s = a.value(row).as_bytes();
            varint(s.len(), out);
            out.extend_from_slice(s);
        }
        Source::Enum(a, names) => out.push(enum_value(names, a.value(row), col.name)?),
        Source::U8(a) => out.push(a.value(row)),
        Source::U16(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
        Source::U32(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
        Source::U64(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
        Source::I32(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
        Source::F64(a) => out.extend_from_slice(&a.value(row).to_le_bytes()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn micros_split_exactly_and_refuse_what_datetime_cannot_hold() {
        assert_eq!(split_micros(1_700_000_000_123_456).unwrap(), (1_700_000_000, 123_456));
        assert_eq!(split_micros(999_999).unwrap(), (0, 999_999));
        assert!(matches!(split_micros(-1), Err(Error::Timestamp(-1))));
        assert!(split_micros((i64::from(u32::MAX) + 1) * 1_000_000).is_err());
    }

    #[test]
    fn varints_are_leb128() {
        let mut out = Vec::new();
        varint(300, &mut out);
        varint(5, &mut out);
        assert_eq!(out, [0xac, 0x02, 5]);
    }
}
