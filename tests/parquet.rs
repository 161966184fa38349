//! `corpus.parquet` (feature `parquet`): read back with the parquet crate's Arrow reader, every
//! row equals its corpus.jsonl record, on the bundled cases (articles, a JSONL feed with `line`,
//! flagged duplicates with `duplicate_of`), and an incremental run's file covers the whole
//! corpus. Needs the `parquet` feature (on by default).
#![cfg(feature = "parquet")]

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A value with every `null` field dropped and every number as f64: corpus.jsonl leaves absent
/// fields out where Arrow has nulls, and writes 1.0 where Arrow's JSON writer may write 1.
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, canonical(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        other => other,
    }
}

/// The rows of a Parquet file, as JSON values.
fn parquet_rows(path: &Path) -> Vec<Value> {
    let file = fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    let mut w = arrow_json::LineDelimitedWriter::new(&mut out);
    for batch in reader {
        w.write(&batch.unwrap()).unwrap();
    }
    w.finish().unwrap();
    String::from_utf8(out).unwrap().lines().map(|l| canonical(serde_json::from_str(l).unwrap())).collect()
}

fn jsonl_rows(path: &Path) -> Vec<Value> {
    fs::read_to_string(path).unwrap().lines().map(|l| canonical(serde_json::from_str(l).unwrap())).collect()
}

fn run(config: &Path, input: &Path, out: &Path) {
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["run", "-q", "-c"])
        .arg(config)
        .arg("-i")
        .arg(input)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn parquet_rows_equal_the_corpus_records() {
    for (case, extra) in
        [("samples", ""), ("jsonl", ""), ("syndicated", "[dedup.document]\naction = \"flag\"\n")]
    {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("pipeline.toml");
        fs::write(&config, format!("[output]\nparquet = true\n{extra}")).unwrap();
        let out = dir.path().join("out");
        run(&config, &root().join("tests/cases").join(case).join("raw"), &out);
        let (rows, records) =
            (parquet_rows(&out.join("corpus.parquet")), jsonl_rows(&out.join("corpus.jsonl")));
        assert!(!records.is_empty());
        assert_eq!(rows.len(), records.len(), "{case}");
        for (row, record) in rows.iter().zip(&records) {
            assert_eq!(row, record, "{case}");
        }
        if case == "syndicated" {
            assert!(
                records.iter().any(|r| r.get("duplicate_of").is_some()),
                "a flagged duplicate is in the file"
            );
        }
        if case == "jsonl" {
            assert!(records.iter().all(|r| r.get("line").is_some()));
        }
    }
}

#[test]
fn an_incremental_run_writes_the_whole_corpus_and_turning_it_off_removes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let samples = root().join("tests/cases/samples/raw");
    let mut names: Vec<PathBuf> = fs::read_dir(&samples).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    let config = dir.path().join("pipeline.toml");
    fs::write(&config, "[output]\nparquet = true\n").unwrap();
    let out = dir.path().join("out");
    fs::copy(&names[0], raw.join(names[0].file_name().unwrap())).unwrap();
    run(&config, &raw, &out);
    for n in &names[1..] {
        fs::copy(n, raw.join(n.file_name().unwrap())).unwrap();
    }
    run(&config, &raw, &out);
    let (rows, records) = (parquet_rows(&out.join("corpus.parquet")), jsonl_rows(&out.join("corpus.jsonl")));
    assert_eq!(rows.len(), names.len());
    assert_eq!(rows, records);
    fs::write(&config, "").unwrap();
    run(&config, &raw, &out);
    assert!(!out.join("corpus.parquet").exists());
}
