//! Boilerplate stage throughput (rules, site lines, classifier, tail markers) on one core, over
//! a folder of text dumps: the dragnet inputs of the evaluation sets, or the bundled `raw/`.
//!
//! Run: `NEWSPREP_BENCH_DIR=../shared/eval/dragnet/input cargo bench --bench boilerplate`
//! (without the variable it uses `raw/`). Documents are read and normalized once, outside the
//! timing; each iteration runs the boilerplate stage over all of them on the calling thread.
//! Throughput is in bytes of raw input. Both variants hand their documents back, so freeing
//! them (which a pipeline does after writing) is not timed. The `normalize` variant is timed in the same run as a
//! baseline, so the ratio between the two holds on any machine.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsprep::model::{DocId, Document, SourceInfo};
use newsprep::model::{DocStage, Outcome};
use newsprep::settings::Settings;
use newsprep::stages::boilerplate::sites::SiteKnowledge;
use newsprep::stages::boilerplate::{RuleSet, StripBoilerplate};
use newsprep::stages::normalize::Normalize;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

fn corpus() -> Vec<(String, String)> {
    let dir = std::env::var_os("NEWSPREP_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("raw"));
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("bench folder exists").map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            Some((f.file_name()?.to_string_lossy().into_owned(), text))
        })
        .collect()
}

fn doc(name: &str, text: &str) -> Document {
    Document::new(DocId(name.to_string()), SourceInfo::unread(name), text.to_string(), 0)
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: u64 = files.iter().map(|(_, t)| t.len() as u64).sum();
    let settings = Settings::defaults("raw", "cleaned");
    let normalize = Normalize::new(&settings.normalize);
    let rules = Arc::new(RuleSet::new(&settings.boilerplate));
    let strip = StripBoilerplate::new(&settings.boilerplate, rules, Arc::new(SiteKnowledge::default()));
    let normalized: Vec<Document> = files
        .iter()
        .map(|(n, t)| match normalize.apply(doc(n, t)) {
            Outcome::Keep(d) | Outcome::Drop(d, _) => d,
        })
        .collect();

    let mut g = c.benchmark_group("boilerplate");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("normalize (baseline)", |b| {
        b.iter_batched(
            || files.iter().map(|(n, t)| doc(n, t)).collect::<Vec<_>>(),
            |docs| docs.into_iter().map(|d| black_box(normalize.apply(d))).collect::<Vec<_>>(),
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function("boilerplate stage", |b| {
        b.iter_batched(
            || normalized.clone(),
            |docs| docs.into_iter().map(|d| black_box(strip.apply(d))).collect::<Vec<_>>(),
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
