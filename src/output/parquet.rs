//! `corpus.parquet` (feature `parquet`): corpus.jsonl as one Parquet file that DuckDB, pandas and
//! Spark read with no glue. It is made from the finished corpus.jsonl bytes, decoded against a
//! fixed Arrow schema in strict mode, so the two files always hold the same records and a field
//! the schema does not know is an error rather than a silently missing column.

use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{BufRead, Write};
use std::sync::Arc;

/// Rows per record batch.
const BATCH: usize = 1024;

/// Rows per Parquet row group. The writer holds a row group in memory until it is full (the
/// default is a million rows), so this bounds the memory Parquet adds to a run.
const ROW_GROUP: usize = 4 * BATCH;

/// The Arrow schema of a corpus.jsonl record (see `schema/corpus.schema.json`).
pub fn schema() -> Arc<Schema> {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let int = |name: &str, nullable: bool| Field::new(name, DataType::UInt64, nullable);
    let para_ref = Fields::from(vec![
        text("id", false),
        int("paragraph", false),
        int("start", false),
        int("end", false),
    ]);
    let removed = Fields::from(vec![
        int("paragraph", false),
        int("start", false),
        int("end", false),
        text("reason", false),
        text("rule", true),
        text("category", true),
        text("field", true),
        Field::new("duplicate_of", DataType::Struct(para_ref), true),
        Field::new("distance", DataType::UInt32, true),
        Field::new("similarity", DataType::Float64, true),
        Field::new("score", DataType::Float64, true),
        text("why", true),
        text("text", false),
    ]);
    let list = |name: &str, item: DataType| {
        Field::new(name, DataType::List(Arc::new(Field::new("item", item, false))), false)
    };
    Arc::new(Schema::new(vec![
        Field::new("schema_version", DataType::UInt32, false),
        text("id", false),
        text("source", false),
        int("line", true),
        int("bytes", false),
        text("sha256", false),
        text("encoding", false),
        text("title", true),
        text("author", true),
        text("published", true),
        text("site", true),
        text("dateline", true),
        text("text", false),
        text("simhash", false),
        list("spans", DataType::List(Arc::new(Field::new("item", DataType::UInt64, false)))),
        list("removed", DataType::Struct(removed)),
        text("duplicate_of", true),
    ]))
}

/// Write the corpus.jsonl records read from `lines` to `out` as Parquet (Snappy-compressed).
pub fn write(mut lines: impl BufRead, out: impl Write + Send) -> Result<(), String> {
    let schema = schema();
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(BATCH)
        .with_strict_mode(true)
        .build_decoder()
        .map_err(|e| e.to_string())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    let mut writer = ArrowWriter::try_new(out, schema, Some(props)).map_err(|e| e.to_string())?;
    loop {
        let buf = lines.fill_buf().map_err(|e| e.to_string())?;
        let len = buf.len();
        if len == 0 {
            break;
        }
        let used = decoder.decode(buf).map_err(|e| e.to_string())?;
        lines.consume(used);
        // Less than all of it: the batch is full.
        if used < len
            && let Some(batch) = decoder.flush().map_err(|e| e.to_string())?
        {
            writer.write(&batch).map_err(|e| e.to_string())?;
        }
    }
    if let Some(batch) = decoder.flush().map_err(|e| e.to_string())? {
        writer.write(&batch).map_err(|e| e.to_string())?;
    }
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}
