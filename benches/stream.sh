#!/usr/bin/env bash
# Memory and time of `newsprep clean -` (the stream) as the stream grows: the first N records of
# a JSONL feed, piped through, at several N, three ways: the defaults (dedup against every
# earlier record: fingerprints grow with the stream), `--dedup-window 1000` (dedup against the
# last 1,000-2,000 kept documents: bounded), and corpus dedup and site learning off (nothing
# remembered between chunks). A stream holds one chunk of records at a time, never the text read.
#
#   benches/stream.sh FEED.jsonl [N ...]      (default N: 1000 10000 40000)
#
# A feed: python3 ../shared/bench/make_bench_corpus.py --docs 40000 --seed 1 --no-txt --out /tmp/b
# then FEED=/tmp/b/articles.jsonl. Needs GNU time (/usr/bin/time).
set -euo pipefail
feed=${1:?usage: benches/stream.sh FEED.jsonl [N ...]}
shift
sizes=("${@:-1000 10000 40000}")
read -r -a sizes <<< "${sizes[*]}"
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/newsprep
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[dedup.paragraph]\nscope = "document"\n[dedup.document]\naction = "off"\n[boilerplate.sites]\nenabled = false\n' > "$work/flat.toml"
printf '| records | MB in | defaults: s | peak RSS MB | --dedup-window 1000: s | peak RSS MB | no corpus dedup, no sites: s | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n'
for n in "${sizes[@]}"; do
  head -n "$n" "$feed" > "$work/feed.jsonl"
  mb=$(( $(stat -c %s "$work/feed.jsonl") / 1000000 ))
  /usr/bin/time -f "%e %M" -o "$work/a" "$bin" clean -q - < "$work/feed.jsonl" > /dev/null
  /usr/bin/time -f "%e %M" -o "$work/w" "$bin" clean -q --dedup-window 1000 - < "$work/feed.jsonl" > /dev/null
  /usr/bin/time -f "%e %M" -o "$work/b" "$bin" clean -q -c "$work/flat.toml" - < "$work/feed.jsonl" > /dev/null
  read -r ta ma < "$work/a"
  read -r tw mw < "$work/w"
  read -r tb mb2 < "$work/b"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$mb" "$ta" $((ma / 1024)) "$tw" $((mw / 1024)) "$tb" $((mb2 / 1024))
done
