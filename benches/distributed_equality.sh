#!/usr/bin/env bash
# The sharded run against one `newsprep run` on a generated corpus: at each shard count, the
# shards' corpus, manifest and duplicates files concatenated must be byte for byte the run's.
#
#   benches/distributed_equality.sh CORPUS_DIR [ENGINE] [SHARDS...]   (default: ray 1 2 4 7)
#
# CORPUS_DIR holds articles.jsonl (../shared/bench/make_bench_corpus.py --docs 10000 --seed 1
# --out CORPUS_DIR). PYTHON is a Python with newsprep (and ray or pyspark) installed. Exits 1
# if any shard count differs. Writes into ${EQUALITY_OUT:-/tmp/newsprep-equality}.
set -euo pipefail
corpus=${1:?usage: distributed_equality.sh CORPUS_DIR [ENGINE] [SHARDS...]}
engine=${2:-ray}
shift $(($# < 2 ? $# : 2))
shards=("$@")
[[ ${#shards[@]} -eq 0 ]] && shards=(1 2 4 7)
python=${PYTHON:-python3}
out=${EQUALITY_OUT:-/tmp/newsprep-equality}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
rm -rf "$out" && mkdir -p "$out/feed"
ln -s "$(cd "$corpus" && pwd)/articles.jsonl" "$out/feed/articles.jsonl"
"$root/target/release/newsprep" run -q --format none --input "$out/feed" --output "$out/one" || [[ $? -eq 1 ]]
status=0
for n in "${shards[@]}"; do
  "$python" -m newsprep.distributed --engine "$engine" --input "$out/feed/articles.jsonl" --shards "$n" \
    --output "$out/sharded$n" 2>"$out/sharded$n.log"
  same=1
  for f in corpus.jsonl manifest.csv duplicates.csv; do
    stem=${f%.*}; ext=${f##*.}
    parts=()
    for ((i = 0; i < n; i++)); do parts+=("$(printf "%s/sharded%d/%s-%05d.%s" "$out" "$n" "$stem" "$i" "$ext")"); done
    if [[ $ext == csv ]]; then
      { head -1 "${parts[0]}"; for p in "${parts[@]}"; do tail -n +2 "$p"; done; } > "$out/cat"
    else
      cat "${parts[@]}" > "$out/cat"
    fi
    cmp -s "$out/cat" "$out/one/$f" || { same=0; echo "  $f differs at $n shards"; }
  done
  if [[ $same -eq 1 ]]; then echo "$engine, $n shards: identical to one run"; else status=1; fi
done
exit $status
