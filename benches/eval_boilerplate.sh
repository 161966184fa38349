#!/usr/bin/env bash
# Boilerplate evaluation: clean each benchmark set's pages with newsprep, in each input form, and
# score the output with the set's own scorer (bag-of-words P/R/F1; snippet P/R/F1 for
# trafilatura_eval) plus the count of wrecked pages.
#
# usage: benches/eval_boilerplate.sh EVAL_DIR [SET ...] [-- extra pipeline.toml lines]
#   EVAL_DIR  folder holding score_boilerplate.py and one folder per set (input/,
#             input_md/ or input_md.tar.zst, ground_truth.jsonl), e.g. ../shared/eval
#   SET       dragnet, cleaneval, trafilatura_eval (default: all three)
# Env: FORMS="text md" (default both): text = the naive text dumps (input/<id>.txt),
#      md = whole-page markdown (input_md/<id>.md, unpacked from input_md.tar.zst if needed),
#      html = the pages as fetched (html/<id>.html, unpacked from html.tar.zst if needed).
#      PRESET=precision|balanced|recall (default balanced). KEEP=DIR keeps the cleaned pages.
#      MODEL=FILE scores with that context model (benches/train_context.sh writes one per
#      held-out set) instead of the shipped one.
# Needs python3 (standard library) and, for packed markdown, zstd.
#
# A page is wrecked when its input holds the article (bag-of-words recall of the input itself
# >= 0.9; for snippet sets, the share of `with` snippets found) and the cleaned text keeps less
# than half of it (recall < 0.5).
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
read -r -a forms <<< "${FORMS:-text md}"
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
model_line=
[ -n "${MODEL:-}" ] && model_line="model = \"$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")\""
cat > "$work/pipeline.toml" <<TOML
[boilerplate.classifier]
preset = "${PRESET:-balanced}"
$model_line
[dedup.document]
action = "off"
[dedup.paragraph]
scope = "document"
TOML
[ ${#extra[@]} -gt 0 ] && printf '%s\n' "${extra[@]}" >> "$work/pipeline.toml"
# A set's folder of pages in one form: as EVAL_DIR has it, else unpacked from FOLDER.tar.zst.
unpacked() {
  local set=$1 folder=$2
  if [ -d "$eval_dir/$set/$folder" ]; then echo "$eval_dir/$set/$folder"; return; fi
  mkdir -p "$work/unpacked/$set"
  [ -d "$work/unpacked/$set/$folder" ] || tar --zstd -xf "$eval_dir/$set/$folder.tar.zst" -C "$work/unpacked/$set"
  echo "$work/unpacked/$set/$folder"
}
printf '| set | form | P | R | F1 | wrecked | s |\n|---|---|---:|---:|---:|---:|---:|\n'
for s in "${sets[@]}"; do
  for f in "${forms[@]}"; do
    case $f in
      text) in_dir=$eval_dir/$s/input ;;
      md) in_dir=$(unpacked "$s" input_md) ;;
      html) in_dir=$(unpacked "$s" html) ;;
      *) echo "unknown form $f (text, md or html)" >&2; exit 2 ;;
    esac
    out=$work/$s-$f
    rm -rf "$out" "$out.txt" "$out.floor"
    start=$(date +%s.%N)
    "$root/target/release/newsprep" run -q --full --format none -c "$work/pipeline.toml" -i "$in_dir" -o "$out" || [ $? -eq 1 ]
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    # The floor is the input itself; for HTML, the page's text dump (markup is no text).
    floor_in=$in_dir
    [ "$f" = html ] && floor_in=$eval_dir/$s/input
    python3 "$root/benches/wrecked.py" write "$out/corpus.jsonl" "$out.txt" "$floor_in" "$out.floor"
    python3 "$eval_dir/score_boilerplate.py" "$eval_dir/$s/ground_truth.jsonl" "$out.txt" --per-doc "$out.pd.csv" > "$out.score"
    python3 "$eval_dir/score_boilerplate.py" "$eval_dir/$s/ground_truth.jsonl" "$out.floor" --per-doc "$out.floor.csv" > /dev/null
    python3 "$root/benches/wrecked.py" row "$s" "$f" "$out.score" "$out.floor.csv" "$out.pd.csv" "$secs"
  done
done
