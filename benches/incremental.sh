#!/usr/bin/env bash
# Incremental run against a full rebuild: a raw folder holding a corpus of BASE articles (one
# JSONL file) is cleaned, ADD more arrive as a second file in the same folder and the output is
# updated, then the same folder is cleaned from scratch into another output. Prints time and
# peak RSS of each run, the median incremental and rebuild times and their ratio, and checks the
# updated output equals the rebuild's.
#
# usage: benches/incremental.sh CORPUS_DIR [BASE] [ADD]
#   CORPUS_DIR  a generated corpus (articles.jsonl), e.g. made with
#               python3 ../shared/bench/make_bench_corpus.py --docs 200000 --seed 1 --no-txt --out DIR
#   BASE, ADD   records (default 100000 and 1000)
# Env: JOBS (default 2), REPEAT (timed runs of each, default 3), SETTLE (seconds of pause
# before each timed run, default 5). Needs GNU time.
set -euo pipefail
corpus=$(cd "${1:?usage: $0 CORPUS_DIR [BASE] [ADD]}" && pwd)
base=${2:-100000}
add=${3:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/newsprep"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/raw"
head -n "$base" "$corpus/articles.jsonl" > "$work/raw/a-base.jsonl"
# Files written in the 2 s before a run are hashed again by the next one (newsprep cannot tell
# a later write in the same clock tick); a day's files are older than that.
sleep 3
printf '[input]\nextensions = ["jsonl"]\n[output]\ndocuments = "none"\n' > "$work/pipeline.toml"
# Runs newsprep, printing "LABEL: S s, peak RSS KB KB" and the run's batch summary lines.
timed() {
  local what=$1; shift
  # Each run starts with the previous run's output on disk, as a daily batch does (otherwise
  # the commit's fsync also pays for flushing the previous run's 500 MB), after a pause that
  # lets the machine settle from the run before (SETTLE seconds, default 5).
  sync
  sleep "${SETTLE:-5}"
  /usr/bin/time -f "$what: %e s, peak RSS %M KB" "$bin" run --jobs "${JOBS:-2}" -c "$work/pipeline.toml" "$@" \
    2> "$work/err" || [ $? -eq 1 ]
  grep -E "^(batch|  [0-9]+ duplicates)" "$work/err" || true
  grep -F "$what:" "$work/err" | tee -a "$work/times"
}
repeat=${REPEAT:-3}
echo "first run: $base records; incremental: +$add; rebuild: all $((base + add)); $repeat of each timed run"
timed first -q -i "$work/raw" -o "$work/inc"
sed -n "$((base + 1)),$((base + add))p" "$corpus/articles.jsonl" > "$work/raw/b-new.jsonl"
sleep 3
# The incremental run starts from a copy of the first run's output each time.
for i in $(seq "$repeat"); do
  rm -rf "$work/inc-$i"; cp -r "$work/inc" "$work/inc-$i"
  timed incremental -i "$work/raw" -o "$work/inc-$i"
done
for i in $(seq "$repeat"); do
  rm -rf "$work/full"
  timed rebuild -q -i "$work/raw" -o "$work/full"
done
for f in corpus.jsonl manifest.csv duplicates.csv stats.json; do
  cmp -s "$work/inc-1/$f" "$work/full/$f" || { echo "incremental and rebuild differ in $f" >&2; exit 1; }
done
echo "incremental output is identical to the rebuild's"
median() { grep -F "$1:" "$work/times" | awk '{ print $2 }' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
inc=$(median incremental); full=$(median rebuild)
awk -v i="$inc" -v r="$full" 'BEGIN { printf "median incremental %.2f s, median rebuild %.2f s: incremental / rebuild %.1f%%\n", i, r, 100 * i / r }'
