#!/usr/bin/env bash
# Boilerplate evaluation: clean each benchmark set's text dumps with newsprep and score the
# output with the set's own scorer (bag-of-words P/R/F1; snippet P/R/F1 for trafilatura_eval).
#
# usage: benches/eval_boilerplate.sh EVAL_DIR [SET ...] [-- extra pipeline.toml lines]
#   EVAL_DIR  folder holding score_boilerplate.py and one folder per set (input/, ground_truth.jsonl),
#             e.g. ../shared/eval
#   SET       dragnet, cleaneval, trafilatura_eval (default: all three)
# Env: PRESET=precision|balanced|recall (default balanced). Needs python3 (standard library).
#
# Each page is one document; document-level dedup is off (a set's pages are scored one by one)
# and paragraph repeats are only looked for inside a page. Site knowledge is learned from the
# set itself (its pages share one folder). The scored text is the title followed by the body.
set -euo pipefail
eval_dir=$(cd "${1:?usage: $0 EVAL_DIR [SET ...]}" && pwd); shift
sets=(); extra=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sets+=("$1"); shift; done
[ $# -gt 0 ] && shift && extra=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(dragnet cleaneval trafilatura_eval)
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/pipeline.toml" <<TOML
[boilerplate.classifier]
preset = "${PRESET:-balanced}"
[dedup.document]
action = "off"
[dedup.paragraph]
scope = "document"
TOML
[ ${#extra[@]} -gt 0 ] && printf '%s\n' "${extra[@]}" >> "$work/pipeline.toml"
for s in "${sets[@]}"; do
  start=$(date +%s.%N)
  "$root/target/release/newsprep" run -q -c "$work/pipeline.toml" -i "$eval_dir/$s/input" -o "$work/$s" || [ $? -eq 1 ]
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  mkdir -p "$work/$s.txt"
  python3 - "$work/$s/corpus.jsonl" "$work/$s.txt" <<'PY'
import json, sys, os
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    text = (r["title"] + "\n\n" if r.get("title") else "") + r["text"]
    open(os.path.join(sys.argv[2], r["id"] + ".txt"), "w", encoding="utf-8").write(text)
PY
  printf '%s (cleaned in %.1fs) ' "$s" "$secs"
  python3 "$eval_dir/score_boilerplate.py" "$eval_dir/$s/ground_truth.jsonl" "$work/$s.txt" --name "$s"
done
