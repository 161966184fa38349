#!/usr/bin/env bash
# Near-duplicate documents side by side, in one run: newsprep, datasketch MinHashLSH and
# text-dedup's minhash on the same generated corpus, each timed, measured for peak memory and
# scored with the generator's score_pairs.py. Not part of CI: it installs the two Python tools
# from PyPI into a virtualenv (about 1 GB with text-dedup's dependencies) on first use.
#
# usage: benches/peers.sh BENCH_DIR CORPUS_DIR
#   BENCH_DIR   folder holding score_pairs.py, e.g. ../shared/bench
#   CORPUS_DIR  e.g. made with python3 ../shared/bench/make_bench_corpus.py --docs 10000 --seed 1 --out DIR
# Env: VENV (default target/peers-venv), JOBS (default 2: newsprep threads, text-dedup processes).
#
# All three tools see the same articles.jsonl. The peers use what the issue asks of them:
# 128 permutations, threshold 0.7, 5-word shingles. Each prints: seconds, MB/s, peak RSS,
# pair precision and recall, and the ratio of its time to newsprep's.
set -euo pipefail
bench=$(cd "${1:?usage: $0 BENCH_DIR CORPUS_DIR}" && pwd)
corpus=$(cd "${2:?usage: $0 BENCH_DIR CORPUS_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/target/peers-venv}
jobs=${JOBS:-2}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet datasketch==1.6.5 text-dedup==0.4.0
fi
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
articles="$corpus/articles.jsonl"
bytes=$(stat -c %s "$articles")

# measure NAME PRED -- command...: run it under GNU time, then score PRED.
base=""
measure() {
  local name=$1 pred=$2; shift 3
  local start secs rss score
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/$name.rss" "$@" > "$work/$name.log" 2>&1 || {
    echo "$name failed:"; tail -5 "$work/$name.log"; return 0; }
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  rss=$(( $(cat "$work/$name.rss") / 1024 ))
  score=$(python3 "$bench/score_pairs.py" "$corpus" "$pred" --pairs)
  [ -z "$base" ] && base=$secs
  python3 - "$name" "$secs" "$bytes" "$rss" "$base" "$score" <<'PY'
import json, sys
name, secs, size, rss, base, score = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), json.loads(sys.argv[6])
print("%-22s %8.2f s %8.2f MB/s %7s MB RSS   P %.4f  R %.4f   time %6.1fx newsprep's" % (
    name, secs, size / secs / 1e6, rss, score["precision"], score["recall"], secs / base))
PY
}

printf '[input]\nextensions = ["jsonl"]\n[output]\ndocuments = "none"\n' > "$work/pipeline.toml"
newsprep_pairs() {
  "$root/target/release/newsprep" run -q --jobs "$jobs" -c "$work/pipeline.toml" -i "$articles" -o "$work/np" || [ $? -eq 1 ]
  python3 "$root/benches/manifest_pairs.py" "$work/np/manifest.csv" "$work/newsprep.tsv"
}
text_dedup_pairs() {
  (cd "$work" && "$venv/bin/python" -m text_dedup.minhash --path json --data_files "$articles" \
    --split train --column text --idx_column id --output "$work/td" --num_perm 128 \
    --threshold 0.7 --ngram 5 --num_proc "$jobs" --debug)
  "$venv/bin/python" "$root/benches/peers/text_dedup_pairs.py" "$work/td/uf.pkl" "$work/text_dedup.tsv"
}
export -f newsprep_pairs text_dedup_pairs
export root work jobs articles venv

echo "corpus: $articles ($bytes bytes)"
measure newsprep "$work/newsprep.tsv" -- bash -c newsprep_pairs
measure "datasketch MinHashLSH" "$work/datasketch.tsv" -- \
  "$venv/bin/python" "$root/benches/peers/datasketch_lsh.py" "$articles" "$work/datasketch.tsv"
measure "text-dedup minhash" "$work/text_dedup.tsv" -- bash -c text_dedup_pairs
