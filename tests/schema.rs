//! The corpus.jsonl schema shipped in `schema/corpus.schema.json` describes real output: every
//! record of every bundled case validates, the schema's version is the one newsprep writes,
//! and records that break the layout are rejected (so the check can fail).

use assert_cmd::Command;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = fs::read_to_string(root().join("schema/corpus.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Every record of a case's corpus.jsonl.
fn records(case: &str, out: &Path) -> Vec<Value> {
    let dir = root().join("tests/cases").join(case);
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["run", "--quiet", "--config"])
        .arg(dir.join("pipeline.toml"))
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{case}: {}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    corpus.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn errors(v: &jsonschema::Validator, record: &Value) -> Vec<String> {
    v.iter_errors(record).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn every_record_of_every_case_matches_the_schema() {
    let v = validator();
    let mut seen = std::collections::BTreeSet::new();
    for case in ["samples", "syndicated", "jsonl", "canonical", "sites", "html"] {
        let out = tempfile::tempdir().unwrap();
        let records = records(case, out.path());
        assert!(!records.is_empty(), "{case}: no records");
        for r in &records {
            let errs = errors(&v, r);
            assert!(errs.is_empty(), "{case}: {} does not match the schema: {errs:?}", r["id"]);
            // Which parts of the layout the cases exercise.
            for key in ["line", "duplicate_of"] {
                if r.get(key).is_some() {
                    seen.insert(key.to_string());
                }
            }
            for x in r["removed"].as_array().unwrap() {
                seen.insert(format!("removed:{}", x["reason"].as_str().unwrap()));
            }
        }
    }
    // The cases reach every kind of removal and both optional record fields, so the schema's
    // conditional parts are checked against real output too.
    for want in [
        "line",
        "duplicate_of",
        "removed:markup",
        "removed:metadata",
        "removed:boilerplate",
        "removed:tail",
        "removed:classifier",
        "removed:dom",
        "removed:site",
        "removed:duplicate",
    ] {
        assert!(seen.contains(want), "no case writes {want}: {seen:?}");
    }
}

#[test]
fn the_schema_version_is_the_one_newsprep_writes() {
    let text = fs::read_to_string(root().join("schema/corpus.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["properties"]["schema_version"]["const"],
        json!(newsprep::output::SCHEMA_VERSION),
        "bump schema_version in the schema with the layout"
    );
}

#[test]
fn records_that_break_the_layout_are_rejected() {
    let v = validator();
    let out = tempfile::tempdir().unwrap();
    let records = records("syndicated", out.path());
    let good = records
        .iter()
        .find(|r| {
            let reasons: Vec<&str> =
                r["removed"].as_array().unwrap().iter().map(|x| x["reason"].as_str().unwrap()).collect();
            reasons.contains(&"classifier") || reasons.contains(&"duplicate")
        })
        .expect("a record with a classifier or duplicate removal")
        .clone();
    assert!(errors(&v, &good).is_empty());
    type Break = Box<dyn Fn(&mut Value)>;
    let broken: Vec<(&str, Break)> = vec![
        ("missing text", Box::new(|r| drop(r.as_object_mut().unwrap().remove("text")))),
        ("another version", Box::new(|r| r["schema_version"] = json!(2))),
        ("no encoding", Box::new(|r| drop(r.as_object_mut().unwrap().remove("encoding")))),
        ("unknown field", Box::new(|r| r["extra"] = json!(1))),
        ("short simhash", Box::new(|r| r["simhash"] = json!("abc"))),
        ("span of three", Box::new(|r| r["spans"] = json!([[0, 1, 2]]))),
        ("unknown reason", Box::new(|r| r["removed"][0]["reason"] = json!("magic"))),
        (
            "a removal without what its reason needs",
            Box::new(|r| {
                let x = r["removed"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|x| x["reason"] == "classifier" || x["reason"] == "duplicate")
                    .unwrap();
                let o = x.as_object_mut().unwrap();
                o.remove("score");
                o.remove("similarity");
            }),
        ),
    ];
    for (what, breaks) in broken {
        let mut r = good.clone();
        breaks(&mut r);
        assert!(!errors(&v, &r).is_empty(), "{what}: accepted");
    }
}
