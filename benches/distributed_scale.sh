#!/usr/bin/env bash
# The sharded run at scale, against one `newsprep run` over the same feed in the same session:
# wall time, peak memory per process, bytes of prints and of what the global phase reads.
#
#   benches/distributed_scale.sh CORPUS_DIR [SHARDS...]    (default shards: 2 4)
#
# CORPUS_DIR holds articles.jsonl (../shared/bench/make_bench_corpus.py --docs 200000 --seed 1
# --out CORPUS_DIR). PYTHON is a Python with newsprep and ray installed (default python3);
# PARTITIONS, when set, is passed as --partitions (0: decide with one index, no group-by).
# Writes into ${SCALE_OUT:-/tmp/newsprep-scale}.
set -euo pipefail
corpus=${1:?usage: distributed_scale.sh CORPUS_DIR [SHARDS...]}
shift
shards=("${@:-2 4}")
[[ $# -eq 0 ]] && shards=(2 4)
python=${PYTHON:-python3}
out=${SCALE_OUT:-/tmp/newsprep-scale}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/newsprep"
rm -rf "$out" && mkdir -p "$out/feed"
ln -s "$(cd "$corpus" && pwd)/articles.jsonl" "$out/feed/articles.jsonl"

echo "== one newsprep run (-j 2, no document files)"
/usr/bin/time -f "%e s, peak %M KB" -o "$out/one.time" \
  "$bin" run -q -j 2 --format none --input "$out/feed" --output "$out/one" || [[ $? -eq 1 ]]
cat "$out/one.time"

for n in "${shards[@]}"; do
  echo "== ray, $n shards"
  /usr/bin/time -f "%e s, driver peak %M KB" -o "$out/ray$n.time" \
    "$python" -m newsprep.distributed --engine ray --input "$out/feed/articles.jsonl" --shards "$n" \
    --output "$out/ray$n" --summary "$out/ray$n.summary.jsonl" ${PARTITIONS:+--partitions "$PARTITIONS"} \
    2>"$out/ray$n.log"
  cat "$out/ray$n.time"
  for f in corpus.jsonl manifest.csv duplicates.csv; do
    stem=${f%.*}; ext=${f##*.}
    if [[ $ext == csv ]]; then
      { head -1 "$out/one/$f"; for ((i = 0; i < n; i++)); do tail -n +2 "$(printf "%s/ray%d/%s-%05d.%s" "$out" "$n" "$stem" "$i" "$ext")"; done; } > "$out/cat"
    else
      for ((i = 0; i < n; i++)); do cat "$(printf "%s/ray%d/%s-%05d.%s" "$out" "$n" "$stem" "$i" "$ext")"; done > "$out/cat"
    fi
    cmp -s "$out/cat" "$out/one/$f" && echo "  $f: identical to one run" || echo "  $f: DIFFERS from one run"
  done
  "$python" - "$out/ray$n.summary.jsonl" "$out/ray$n/.work" <<'PY'
import json, pathlib, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
work = pathlib.Path(sys.argv[2])
for phase in ("sites", "learn", "prints", "bands", "pairs", "decide", "apply"):
    rs = [r for r in rows if r["phase"] == phase]
    if rs:
        print(f"  {phase:7} tasks {len(rs)}: longest {max(r['seconds'] for r in rs):7.1f} s, "
              f"sum {sum(r['seconds'] for r in rs):7.1f} s, worker peak {max(r['peak_rss_mb'] for r in rs):7.0f} MB")
size = lambda pat: sum(p.stat().st_size for p in work.glob(pat))
printed = [r for r in rows if r["phase"] == "prints"]
docs = sum(r["kept"] for r in printed)
paras = sum(r["rows"] for r in printed)
p, q = size("prints-*.parquet"), size("paragraphs-*.parquet")
print(f"  prints: {p + q:,} bytes for {docs:,} documents and {paras:,} paragraphs: "
      f"{p / max(docs, 1):.0f} B per document row + {q / max(paras, 1):.0f} B per paragraph row "
      f"({(p + q) / max(docs, 1):.0f} B per kept document in all)")
bands, pairs = size("bands-*.parquet"), size("pairs-*.parquet") + size("cuts-*.parquet")
print(f"  shuffled (band rows, written per shard, read per partition): {bands:,} bytes "
      f"({bands / max(docs, 1):.0f} B per document)")
print(f"  read by the global decide phase: {p + q + pairs:,} bytes (prints {p + q:,}, verified pairs {pairs:,}); "
      f"written: {size('decisions-*.parquet'):,} bytes of decisions")
print(f"  site line counts: {size('sites-*.parquet'):,} bytes")
PY
done
