#!/usr/bin/env bash
# Fit the boilerplate context model and score it cross-validated by set.
#
# usage: benches/train_context.sh EVAL_DIR [OUT_DIR]
#   EVAL_DIR  the development sets, e.g. ../shared/eval (input_md.tar.zst unpacked if needed)
#   OUT_DIR   where to keep the features and the models (default: a temporary folder)
#
# 1. Cleans every set in both forms with the shipped settings (benches/eval_boilerplate.sh),
#    for the site knowledge each set's run learns.
# 2. Writes every classifier candidate's context features (examples/paragraph_features.rs).
#    They do not depend on the context model: the first score, the main-content runs and the
#    rules come before it.
# 3. Fits the shipped model on all three sets into src/stages/boilerplate/context.model, and one
#    model per set on the two others.
# 4. Scores each set with the model that never saw it: the cross-validated table.
# Needs python3 with numpy, and zstd for packed markdown.
set -euo pipefail
eval_dir=$(cd "${1:?usage: $0 EVAL_DIR [OUT_DIR]}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$(mktemp -d)}
mkdir -p "$out/features"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --example paragraph_features
KEEP=$out/runs bash "$root/benches/eval_boilerplate.sh" "$eval_dir" > "$out/shipped.md"
for s in dragnet cleaneval trafilatura_eval; do
  for f in text md; do
    if [ $f = text ]; then in=$eval_dir/$s/input; else
      in=$eval_dir/$s/input_md; [ -d "$in" ] || in=$out/runs/unpacked/$s/input_md; fi
    "$root/target/release/examples/paragraph_features" "$out/runs/pipeline.toml" "$in" "$out/runs/$s-$f" \
      > "$out/features/$s-$f.jsonl"
  done
done
python3 "$root/benches/train_context.py" "$eval_dir" "$out/features" "$root/src/stages/boilerplate/context.model"
for s in dragnet cleaneval trafilatura_eval; do
  python3 "$root/benches/train_context.py" "$eval_dir" "$out/features" "$out/cv-$s.model" --hold-out "$s"
done
echo "Cross-validated by set (each set scored by the model fitted on the two others):"
printf '| set | form | P | R | F1 | wrecked | s |\n|---|---|---:|---:|---:|---:|---:|\n'
for s in dragnet cleaneval trafilatura_eval; do
  MODEL=$out/cv-$s.model bash "$root/benches/eval_boilerplate.sh" "$eval_dir" "$s" | tail -n +3
done
