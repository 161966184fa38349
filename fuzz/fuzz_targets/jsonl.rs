//! Any bytes as one JSONL line, read as a record under the default field names: no panic; a
//! record read has its line's size, and an error names its line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsprep::model::DocId;
use newsprep::input::RecordFieldNames;
use newsprep::input::{self, Compression, Input, InputKind, Record};
use std::path::PathBuf;
use std::sync::LazyLock;

static INPUT: LazyLock<Input> = LazyLock::new(|| Input {
    rel: "feed.jsonl".into(),
    path: PathBuf::from("feed.jsonl"),
    id: DocId("feed".into()),
    kind: InputKind::Records,
    bytes: 0,
    order: 0,
    compression: Compression::None,
    format: Some(input::FormatRef(&input::Jsonl)),
});

static NAMES: LazyLock<RecordFieldNames> = LazyLock::new(RecordFieldNames::default);

fuzz_target!(|data: &[u8]| {
    let r = Record { input: &INPUT, line: 7, bytes: data.to_vec(), too_long: None };
    match input::record(&r, &NAMES) {
        Ok(doc) => {
            assert_eq!(doc.source.bytes, data.len() as u64);
            assert_eq!(doc.source.line, Some(7));
        }
        Err((_, _, e)) => assert!(e.to_string().starts_with("line 7: "), "{e}"),
    }
});
