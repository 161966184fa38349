#!/usr/bin/env bash
# Incremental run against a full rebuild: a corpus of BASE articles, then ADD more, as two JSONL
# files (raw/a-base.jsonl, raw/b-new.jsonl). Prints time and peak RSS of the first run, the
# incremental run and a rebuild of the same folder, and checks the two outputs are identical.
#
# usage: benches/incremental.sh CORPUS_DIR [BASE] [ADD]
#   CORPUS_DIR  a generated corpus (articles.jsonl), e.g. made with
#               python3 ../shared/bench/make_bench_corpus.py --docs 200000 --seed 1 --no-txt --out DIR
#   BASE, ADD   records (default 100000 and 1000)
# Env: JOBS (default 2). Needs GNU time.
set -euo pipefail
corpus=$(cd "${1:?usage: $0 CORPUS_DIR [BASE] [ADD]}" && pwd)
base=${2:-100000}
add=${3:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/newsprep"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/raw1" "$work/raw2"
head -n "$base" "$corpus/articles.jsonl" > "$work/raw1/a-base.jsonl"
cp "$work/raw1/a-base.jsonl" "$work/raw2/"
sed -n "$((base + 1)),$((base + add))p" "$corpus/articles.jsonl" > "$work/raw2/b-new.jsonl"
printf '[input]\nextensions = ["jsonl"]\n[output]\ndocuments = "none"\n' > "$work/pipeline.toml"
# Prints "LABEL: S s, peak RSS KB KB" and the run's batch summary lines.
timed() {
  local what=$1; shift
  /usr/bin/time -f "$what: %e s, peak RSS %M KB" "$bin" run --jobs "${JOBS:-2}" -c "$work/pipeline.toml" "$@" \
    2> "$work/err" || [ $? -eq 1 ]
  grep -E "^(batch|  [0-9]+ duplicates)" "$work/err" || true
  grep -F "$what:" "$work/err"
}
echo "first run: $base records; incremental: +$add; rebuild: all $((base + add))"
timed first -q -i "$work/raw1" -o "$work/inc"
timed incremental -i "$work/raw2" -o "$work/inc"
timed rebuild -q -i "$work/raw2" -o "$work/full"
for f in corpus.jsonl manifest.csv duplicates.csv stats.json; do
  cmp -s "$work/inc/$f" "$work/full/$f" || { echo "incremental and rebuild differ in $f" >&2; exit 1; }
done
echo "incremental output is identical to the rebuild's"
