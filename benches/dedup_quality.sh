#!/usr/bin/env bash
# Near-duplicate quality and speed on a generated corpus: run newsprep over the corpus's JSONL and
# score the documents it marks as duplicates with the generator's own scorer (pair precision,
# recall, F1, and recall of copy->source edges by kind and by body 5-shingle Jaccard).
#
# usage: benches/dedup_quality.sh BENCH_DIR CORPUS_DIR [-- extra pipeline.toml lines]
#   BENCH_DIR   folder holding make_bench_corpus.py and score_pairs.py, e.g. ../shared/bench
#   CORPUS_DIR  a corpus it wrote, e.g. made with
#               python3 ../shared/bench/make_bench_corpus.py --docs 10000 --seed 1 --out /tmp/c10k
# Env: JOBS (default 2). Needs python3 (standard library) and GNU time for peak memory.
#
# Anything after `--` is appended to the pipeline.toml used, e.g.
#   benches/dedup_quality.sh ../shared/bench /tmp/c10k -- '[dedup.document]' 'max-distance = 6'
set -euo pipefail
bench=$(cd "${1:?usage: $0 BENCH_DIR CORPUS_DIR}" && pwd)
corpus=$(cd "${2:?usage: $0 BENCH_DIR CORPUS_DIR}" && pwd)
shift 2
[ "${1:-}" = "--" ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
{
  # corpus.jsonl carries every body; one file per document would measure the file system.
  printf '[input]\nextensions = ["jsonl"]\n[output]\ndocuments = "none"\n'
  for line in "$@"; do printf '%s\n' "$line"; done
} > "$work/pipeline.toml"
bytes=$(stat -c %s "$corpus/articles.jsonl")
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" "$root/target/release/newsprep" run -q --jobs "${JOBS:-2}" \
  -c "$work/pipeline.toml" -i "$corpus/articles.jsonl" -o "$work/out" || [ $? -eq 1 ]
secs=$(echo "$(date +%s.%N) - $start" | bc)
printf 'newsprep: %s bytes in %.2fs = %.1f MB/s with %s threads, peak RSS %d MB\n' \
  "$bytes" "$secs" "$(echo "$bytes / $secs / 1000000" | bc -l)" "${JOBS:-2}" "$(( $(cat "$work/rss") / 1024 ))"
python3 "$root/benches/manifest_pairs.py" "$work/out/manifest.csv" "$work/pred.tsv"
python3 "$bench/score_pairs.py" "$corpus" "$work/pred.tsv" --pairs
