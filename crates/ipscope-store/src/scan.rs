//! Arrow batches into DuckDB without copying each string through the C API: a table function,
//! `ipscope_batch(token)`, that hands DuckDB a registered batch's columns, read by
//! `INSERT INTO table (columns) SELECT * FROM ipscope_batch(token)`.
//!
//! Why by hand: duckdb-rs's Arrow appender (`Appender::append_record_batch`) copies every string
//! into a DuckDB vector with one C call each (which checks its UTF-8 again), and DuckDB's
//! appender then copies the chunk into a buffer of its own before inserting it. On the store
//! thread of an sshd ingest those two steps were ~15 % of the time (perf, 2 M lines:
//! `AddStringOrBlob`, `Utf8Proc::Analyze`, `ColumnDataCopy`). Here a string is a 16-byte
//! `string_t` written into the vector, pointing into the Arrow buffer (or holding a string of up
//! to 12 bytes inline), as DuckDB's own Arrow scan does; numbers and times are copied a vector
//! at a time. The batch stays registered, and so alive, until the statement is done, and DuckDB
//! copies the strings into the table's storage as it inserts them. Arrow strings are valid UTF-8
//! by construction, which is what DuckDB requires of a VARCHAR.
//!
//! Only plain column types are taken (see [`supported`]); a batch with any other type goes
//! through the appender as before.
//!
//! The one module of the workspace allowed `unsafe` (the workspace denies it): raw writes into
//! DuckDB's vectors through its C API, each block with what makes it sound.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};

use duckdb::arrow::array::{Array, AsArray, BooleanArray, PrimitiveArray, StringArray};
use duckdb::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float64Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::ffi;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

/// The table function's name.
pub(crate) const FUNCTION: &str = "ipscope_batch";

/// Batches registered for a statement, by token.
static BATCHES: LazyLock<Mutex<HashMap<u64, RecordBatch>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn batches() -> MutexGuard<'static, HashMap<u64, RecordBatch>> {
    // A panic elsewhere while holding the lock leaves the map as it was: still usable.
    BATCHES.lock().unwrap_or_else(|e| e.into_inner())
}

/// A batch registered for `ipscope_batch(token)` while this lives.
pub(crate) struct Registered {
    pub(crate) token: u64,
}

impl Registered {
    pub(crate) fn new(batch: RecordBatch) -> Registered {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        batches().insert(token, batch);
        Registered { token }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        batches().remove(&self.token);
    }
}

/// The DuckDB type of an Arrow column this function hands over, `None` for any other.
fn duckdb_type(t: &DataType) -> Option<LogicalTypeId> {
    Some(match t {
        DataType::Utf8 => LogicalTypeId::Varchar,
        DataType::Boolean => LogicalTypeId::Boolean,
        DataType::Int32 => LogicalTypeId::Integer,
        DataType::Int64 => LogicalTypeId::Bigint,
        DataType::UInt8 => LogicalTypeId::UTinyint,
        DataType::UInt16 => LogicalTypeId::USmallint,
        DataType::UInt32 => LogicalTypeId::UInteger,
        DataType::UInt64 => LogicalTypeId::UBigint,
        DataType::Float64 => LogicalTypeId::Double,
        DataType::Timestamp(TimeUnit::Microsecond, None) => LogicalTypeId::Timestamp,
        _ => return None,
    })
}

/// Whether every column of `batch` can go through the table function.
pub(crate) fn supported(batch: &RecordBatch) -> bool {
    batch.schema().fields().iter().all(|f| duckdb_type(f.data_type()).is_some())
}

pub(crate) struct BatchScan;

pub(crate) struct Bound {
    batch: RecordBatch,
}

pub(crate) struct Cursor {
    offset: AtomicUsize,
}

impl VTab for BatchScan {
    type BindData = Bound;
    type InitData = Cursor;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        let token = bind.get_parameter(0).to_uint64();
        let batch = batches().get(&token).cloned().ok_or_else(|| format!("no batch registered as {token}"))?;
        for f in batch.schema().fields() {
            let t = duckdb_type(f.data_type()).ok_or_else(|| format!("column {} has an unsupported type", f.name()))?;
            bind.add_result_column(f.name(), LogicalTypeHandle::from(t));
        }
        Ok(Bound { batch })
    }

    fn init(_: &InitInfo) -> Result<Cursor, Box<dyn std::error::Error>> {
        Ok(Cursor { offset: AtomicUsize::new(0) })
    }

    fn func(func: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let batch = &func.get_bind_data().batch;
        // SAFETY: a plain C call with no arguments.
        let vector_size = unsafe { ffi::duckdb_vector_size() } as usize;
        let offset = func.get_init_data().offset.fetch_add(vector_size, Ordering::Relaxed);
        let len = batch.num_rows().saturating_sub(offset).min(vector_size);
        for (i, column) in batch.columns().iter().enumerate().filter(|_| len > 0) {
            // SAFETY: column `i` of `output` has the type `bind` gave it for this column
            // (`duckdb_type`) and room for `vector_size` rows; the batch outlives the statement
            // (`Bound`), so the strings it points at do too.
            unsafe { write_column(output, i, column.as_ref(), offset, len)? };
        }
        output.set_len(len);
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
}

/// Writes rows `offset..offset + len` of `array` into column `i` of `output`.
///
/// # Safety
/// Column `i` of `output` must be of `duckdb_type(array.data_type())` with room for `len` rows,
/// and `array`'s buffers must outlive every use DuckDB makes of the chunk.
unsafe fn write_column(
    output: &DataChunkHandle,
    i: usize,
    array: &dyn Array,
    offset: usize,
    len: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let array = array.slice(offset, len);
    // SAFETY (all blocks below): `vector` is column `i` of a live chunk of at least `len` rows,
    // whose data is laid out as the column's DuckDB type.
    let vector = unsafe { ffi::duckdb_data_chunk_get_vector(output.get_ptr(), i as u64) };
    match array.data_type() {
        DataType::Utf8 => unsafe { write_strings(vector, array.as_string::<i32>())? },
        DataType::Boolean => unsafe { write_booleans(vector, array.as_boolean()) },
        DataType::Int32 => unsafe { write_primitive::<Int32Type>(vector, array.as_primitive()) },
        DataType::Int64 => unsafe { write_primitive::<Int64Type>(vector, array.as_primitive()) },
        DataType::UInt8 => unsafe { write_primitive::<UInt8Type>(vector, array.as_primitive()) },
        DataType::UInt16 => unsafe { write_primitive::<UInt16Type>(vector, array.as_primitive()) },
        DataType::UInt32 => unsafe { write_primitive::<UInt32Type>(vector, array.as_primitive()) },
        DataType::UInt64 => unsafe { write_primitive::<UInt64Type>(vector, array.as_primitive()) },
        DataType::Float64 => unsafe { write_primitive::<Float64Type>(vector, array.as_primitive()) },
        DataType::Timestamp(TimeUnit::Microsecond, None) => unsafe {
            write_primitive::<TimestampMicrosecondType>(vector, array.as_primitive())
        },
        other => return Err(format!("unsupported column type {other}").into()),
    }
    unsafe { write_validity(vector, &array) };
    Ok(())
}

/// # Safety
/// `vector` holds `T::Native` values, with room for `array.len()` of them.
unsafe fn write_primitive<T: ArrowPrimitiveType>(vector: ffi::duckdb_vector, array: &PrimitiveArray<T>) {
    let values = array.values();
    // SAFETY: as the caller promised; source and destination do not overlap.
    unsafe {
        let data = ffi::duckdb_vector_get_data(vector).cast::<T::Native>();
        std::ptr::copy_nonoverlapping(values.as_ptr(), data, values.len());
    }
}

/// # Safety
/// `vector` holds BOOLEANs (one byte each), with room for `array.len()` of them.
unsafe fn write_booleans(vector: ffi::duckdb_vector, array: &BooleanArray) {
    // SAFETY: as the caller promised.
    let data = unsafe { std::slice::from_raw_parts_mut(ffi::duckdb_vector_get_data(vector).cast::<u8>(), array.len()) };
    for (i, slot) in data.iter_mut().enumerate() {
        *slot = u8::from(array.value(i));
    }
}

/// DuckDB's `string_t`: the length, then the string itself when it fits in 12 bytes, else its
/// first 4 bytes and a pointer to it (`duckdb_string_t` in `duckdb.h`).
const INLINE: usize = 12;

/// # Safety
/// `vector` holds VARCHARs, with room for `array.len()` of them; `array`'s value buffer must
/// outlive DuckDB's use of them.
unsafe fn write_strings(vector: ffi::duckdb_vector, array: &StringArray) -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: as the caller promised.
    let data = unsafe {
        std::slice::from_raw_parts_mut(ffi::duckdb_vector_get_data(vector).cast::<ffi::duckdb_string_t>(), array.len())
    };
    for (i, slot) in data.iter_mut().enumerate() {
        // A NULL's bytes are empty (Arrow) and masked by the validity below.
        let s = array.value(i).as_bytes();
        // Never so long (text is cut at 16 KiB), but no slot is left unwritten if one were.
        let length = u32::try_from(s.len()).map_err(|_| "a string of 4 GiB or more")?;
        *slot = if s.len() <= INLINE {
            let mut inlined = [0 as std::os::raw::c_char; INLINE];
            for (d, b) in inlined.iter_mut().zip(s) {
                *d = *b as std::os::raw::c_char;
            }
            ffi::duckdb_string_t {
                value: ffi::duckdb_string_t__bindgen_ty_1 {
                    inlined: ffi::duckdb_string_t__bindgen_ty_1__bindgen_ty_2 { length, inlined },
                },
            }
        } else {
            let mut prefix = [0 as std::os::raw::c_char; 4];
            for (d, b) in prefix.iter_mut().zip(s) {
                *d = *b as std::os::raw::c_char;
            }
            ffi::duckdb_string_t {
                value: ffi::duckdb_string_t__bindgen_ty_1 {
                    pointer: ffi::duckdb_string_t__bindgen_ty_1__bindgen_ty_1 {
                        length,
                        prefix,
                        // DuckDB only reads through it (the table copies the string).
                        ptr: s.as_ptr().cast_mut().cast(),
                    },
                },
            }
        };
    }
    Ok(())
}

/// Marks the NULL rows of `array` in `vector`'s validity mask (one bit a row, 1 = valid, as
/// Arrow's).
///
/// # Safety
/// `vector` has room for `array.len()` rows.
unsafe fn write_validity(vector: ffi::duckdb_vector, array: &dyn Array) {
    let Some(nulls) = array.logical_nulls().filter(|n| n.null_count() > 0) else { return };
    // SAFETY: as the caller promised; the mask has a bit for each of the vector's rows.
    unsafe {
        ffi::duckdb_vector_ensure_validity_writable(vector);
        let mask = ffi::duckdb_vector_get_validity(vector);
        for row in nulls.iter().enumerate().filter(|(_, valid)| !valid).map(|(row, _)| row) {
            *mask.add(row / 64) &= !(1u64 << (row % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use duckdb::Connection;
    use duckdb::arrow::array::{
        ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray, UInt16Array,
    };
    use duckdb::arrow::datatypes::{Field, Schema};
    use duckdb::arrow::record_batch::RecordBatch;

    use super::{BatchScan, FUNCTION, Registered, supported};

    type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

    /// Strings of every length around the 12-byte inline limit, multi-byte text, NULLs in every
    /// column, over several of DuckDB's 2048-row vectors.
    fn batch(rows: usize) -> Result<RecordBatch> {
        let text = |i: usize| -> Option<String> {
            match i % 9 {
                0 => None,
                1 => Some(String::new()),
                2 => Some("é".repeat(i % 13)),
                _ => Some("x".repeat(i % 30) + &i.to_string()),
            }
        };
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("s", Arc::new(StringArray::from((0..rows).map(text).collect::<Vec<_>>()))),
            (
                "b",
                Arc::new(BooleanArray::from((0..rows).map(|i| (i % 5 != 0).then_some(i % 2 == 0)).collect::<Vec<_>>())),
            ),
            (
                "i",
                Arc::new(Int32Array::from(
                    (0..rows).map(|i| (i % 7 != 0).then_some(i as i32 - 3000)).collect::<Vec<_>>(),
                )),
            ),
            ("p", Arc::new(UInt16Array::from((0..rows).map(|i| (i % 3 != 0).then_some(i as u16)).collect::<Vec<_>>()))),
            (
                "d",
                Arc::new(Float64Array::from(
                    (0..rows).map(|i| (i % 11 != 0).then_some(i as f64 / 8.0)).collect::<Vec<_>>(),
                )),
            ),
            (
                "ts",
                Arc::new(TimestampMicrosecondArray::from(
                    (0..rows)
                        .map(|i| (i % 13 != 0).then_some(1_700_000_000_000_000 + i as i64 * 1_000_001))
                        .collect::<Vec<_>>(),
                )),
            ),
        ];
        let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, a)| a).collect())?)
    }

    /// What the table function stores is what duckdb-rs's appender stores, row for row.
    #[test]
    fn a_batch_stores_as_the_appender_stores_it() -> Result {
        let conn = Connection::open_in_memory()?;
        conn.register_table_function::<BatchScan>(FUNCTION)?;
        let columns = "s VARCHAR, b BOOLEAN, i INTEGER, p USMALLINT, d DOUBLE, ts TIMESTAMP";
        conn.execute_batch(&format!("CREATE TABLE scanned ({columns}); CREATE TABLE appended ({columns});"))?;
        let rows = 5000;
        let batch = batch(rows)?;
        assert!(supported(&batch));
        let registered = Registered::new(batch.clone());
        conn.execute(&format!("INSERT INTO scanned SELECT * FROM {FUNCTION}(?)"), [registered.token])?;
        let mut app = conn.appender("appended")?;
        app.append_record_batch(batch)?;
        app.flush()?;
        drop(app);
        let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
        assert_eq!(count("SELECT count(*) FROM scanned")?, rows as i64);
        assert_eq!(count("SELECT count(*) FROM (SELECT * FROM scanned EXCEPT ALL SELECT * FROM appended)")?, 0);
        assert_eq!(count("SELECT count(*) FROM (SELECT * FROM appended EXCEPT ALL SELECT * FROM scanned)")?, 0);
        // Spot checks independent of the appender: a long string, an inline one, NULLs.
        assert_eq!(
            count("SELECT count(*) FROM scanned WHERE s IS NULL")?,
            (0..rows).filter(|i| i % 9 == 0).count() as i64
        );
        let s: String = conn.query_row("SELECT s FROM scanned WHERE i = 4346 - 3000", [], |r| r.get(0))?;
        assert_eq!(s, "x".repeat(4346 % 30) + "4346");
        let s: String = conn.query_row("SELECT s FROM scanned WHERE i = 2 - 3000", [], |r| r.get(0))?;
        assert_eq!(s, "éé");
        // Once dropped, the token names nothing.
        let token = registered.token;
        drop(registered);
        assert!(conn.execute(&format!("INSERT INTO scanned SELECT * FROM {FUNCTION}(?)"), [token]).is_err());
        Ok(())
    }
}
