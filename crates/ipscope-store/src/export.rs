//! Writing query results to files for other tools (`ipscope export`): Parquet, CSV and JSON
//! lines, by DuckDB's own writers.
//!
//! Every store connection is opened with external access off, so no query can write a file.
//! The writer here is a separate, empty in-memory database with external access on: it never
//! opens the store and never runs a user's SQL — it receives Arrow batches (from
//! [`Query::query_arrow`](crate::Query::query_arrow), locally or from a running daemon), puts them
//! in a temporary table and `COPY`s that table to the file named by the caller.

use std::path::Path;

use duckdb::arrow::datatypes::{DataType, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Config, Connection};

use crate::{Result, StoreError};

/// A file format of the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Parquet, zstd-compressed.
    Parquet,
    /// CSV with a header line when asked.
    Csv,
    /// One JSON object a line.
    Json,
}

/// An in-memory DuckDB that writes Arrow batches to files.
pub struct FileWriter {
    conn: Connection,
}

/// The DuckDB column type of an Arrow type as [`Query::query_arrow`](crate::Query::query_arrow)
/// returns it (ENUM columns must be cast to VARCHAR in the query: the appender takes no
/// dictionaries).
fn sql_type(t: &DataType) -> Option<&'static str> {
    Some(match t {
        DataType::Boolean => "BOOLEAN",
        DataType::Int8 => "TINYINT",
        DataType::Int16 => "SMALLINT",
        DataType::Int32 => "INTEGER",
        DataType::Int64 => "BIGINT",
        DataType::UInt8 => "UTINYINT",
        DataType::UInt16 => "USMALLINT",
        DataType::UInt32 => "UINTEGER",
        DataType::UInt64 => "UBIGINT",
        DataType::Float32 => "FLOAT",
        DataType::Float64 => "DOUBLE",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR",
        DataType::Date32 => "DATE",
        DataType::Timestamp(TimeUnit::Microsecond, None) => "TIMESTAMP",
        _ => return None,
    })
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl FileWriter {
    pub fn new() -> Result<FileWriter> {
        let config = Config::default()
            .enable_autoload_extension(false)
            .map_err(|source| StoreError::Open { path: ":memory: (export)".into(), source })?;
        let conn = Connection::open_in_memory_with_flags(config)
            .map_err(|source| StoreError::Open { path: ":memory: (export)".into(), source })?;
        Ok(FileWriter { conn })
    }

    /// Writes `batches` (one schema) to `path` as `format` (a CSV gets a header line if
    /// `header`). Returns the rows written; writes nothing when there are none.
    pub fn write(&self, batches: &[RecordBatch], format: FileFormat, header: bool, path: &Path) -> Result<u64> {
        let Some(first) = batches.first() else { return Ok(0) };
        let schema = first.schema();
        let mut cols = Vec::new();
        for f in schema.fields() {
            let ty = sql_type(f.data_type()).ok_or_else(|| {
                StoreError::Wire(format!("column {} has type {} that export does not write", f.name(), f.data_type()))
            })?;
            cols.push(format!("{} {ty}", quote_ident(f.name())));
        }
        self.conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE chunk ({})", cols.join(", ")))?;
        let mut rows = 0u64;
        {
            let mut app = self.conn.appender("chunk")?;
            for b in batches {
                rows += b.num_rows() as u64;
                app.append_record_batch(b.clone())?;
            }
            app.flush()?;
        }
        let options = match format {
            FileFormat::Parquet => "FORMAT parquet, COMPRESSION zstd".to_owned(),
            FileFormat::Csv => format!("FORMAT csv, HEADER {header}"),
            FileFormat::Json => "FORMAT json".to_owned(),
        };
        let file = path.to_string_lossy().replace('\'', "''");
        let copied = self.conn.execute_batch(&format!("COPY chunk TO '{file}' ({options})"));
        self.conn.execute_batch("DROP TABLE chunk")?;
        copied?;
        Ok(rows)
    }
}
