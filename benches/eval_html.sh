#!/usr/bin/env bash
# HTML extraction against the anchors: newsprep on each development set's HTML pages, and in
# the same run dom_smoothie and rs-trafilatura (Rust crates, built apart under benches/anchors)
# and trafilatura (Python, from PyPI), each scored with the set's own scorer: F1 (bag of words;
# snippets for trafilatura_eval), wrecked pages, and pages per second on one thread.
#
# usage: benches/eval_html.sh EVAL_DIR [SET ...]
#   EVAL_DIR  made by ../shared/eval/unpack.sh (html/<id>.html, input/<id>.txt, ground_truth.jsonl)
# Env: TOOLS="newsprep dom_smoothie rs_trafilatura trafilatura" (default all four; trafilatura
#      needs `pip install trafilatura==2.3.1 lxml_html_clean`), KEEP=DIR keeps the outputs.
#
# Timing: newsprep is the whole pipeline (`run -j 1`: read, decode, parse, every stage, write);
# the anchors are timed on extraction alone, files read first, so the comparison favours them.
# A page is wrecked when its text dump holds the article (recall >= 0.9) and the output keeps
# under half of it (as benches/eval_boilerplate.sh counts).
set -euo pipefail
eval_dir=$(cd "${1:?usage: $0 EVAL_DIR [SET ...]}" && pwd); shift
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(dragnet cleaneval trafilatura_eval)
read -r -a tools <<< "${TOOLS:-newsprep dom_smoothie rs_trafilatura trafilatura}"
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
for t in "${tools[@]}"; do
  case $t in dom_smoothie|rs_trafilatura)
    cargo build --release --quiet --manifest-path "$root/benches/anchors/Cargo.toml"; break ;;
  esac
done
work=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cat > "$work/pipeline.toml" <<TOML
[dedup.document]
action = "off"
[dedup.paragraph]
scope = "document"
TOML
printf '| set | tool | P | R | F1 | wrecked | pages/s (1 thread) |\n|---|---|---:|---:|---:|---:|---:|\n'
for s in "${sets[@]}"; do
  html=$eval_dir/$s/html
  if [ ! -d "$html" ]; then
    mkdir -p "$work/unpacked/$s"
    [ -d "$work/unpacked/$s/html" ] || tar --zstd -xf "$eval_dir/$s/html.tar.zst" -C "$work/unpacked/$s"
    html=$work/unpacked/$s/html
  fi
  floor=$work/$s-floor
  rm -rf "$floor"; mkdir -p "$floor"; cp "$eval_dir/$s/input/"*.txt "$floor/"
  python3 "$eval_dir/score_boilerplate.py" "$eval_dir/$s/ground_truth.jsonl" "$floor" --per-doc "$floor.csv" > /dev/null
  for t in "${tools[@]}"; do
    out=$work/$s-$t
    rm -rf "$out" "$out.txt"
    case $t in
      newsprep)
        start=$(date +%s.%N)
        "$root/target/release/newsprep" run -q -j 1 --full --format none -c "$work/pipeline.toml" -i "$html" -o "$out" || [ $? -eq 1 ]
        secs=$(echo "$(date +%s.%N) - $start" | bc)
        pages=$(ls "$html" | wc -l)
        python3 "$root/benches/wrecked.py" write "$out/corpus.jsonl" "$out.txt" "$html" "$out.unused"
        rm -rf "$out.unused" ;;
      dom_smoothie|rs_trafilatura)
        read -r pages secs < <("$root/benches/anchors/target/release/newsprep-anchors" "$t" "$html" "$out.txt") ;;
      trafilatura)
        read -r pages secs < <(python3 "$root/benches/anchor_trafilatura.py" "$html" "$out.txt") ;;
      *) echo "unknown tool $t" >&2; exit 2 ;;
    esac
    python3 "$eval_dir/score_boilerplate.py" "$eval_dir/$s/ground_truth.jsonl" "$out.txt" --per-doc "$out.pd.csv" > "$out.score"
    rate=$(echo "scale=0; $pages / $secs" | bc)
    python3 "$root/benches/wrecked.py" row "$s" "$t" "$out.score" "$floor.csv" "$out.pd.csv" "$rate" | sed 's/\.0 |$/ |/'
  done
done
