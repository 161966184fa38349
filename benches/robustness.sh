#!/usr/bin/env bash
# Time and peak memory of newsprep on the large bad inputs of issue 7, generated here:
#   - a 200 MB page with no newline, at the default 64 MiB limit and with the limit raised;
#   - ten 40 MB files (what a chunk holds between reading and writing);
#   - 100,000 tiny files;
#   - 10 MB of accented text in UTF-8 (the baseline), Windows-1252 and UTF-16.
#
# usage: benches/robustness.sh WORK_DIR
#   WORK_DIR  scratch folder (about 450 MB at most; each input is deleted after its run)
# Needs python3 and GNU time (/usr/bin/time). Prints one line per run: seconds, peak KB.
set -euo pipefail
work=${1:?usage: $0 WORK_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/newsprep"
mkdir -p "$work"; work=$(cd "$work" && pwd)

measure() { # label, then newsprep arguments
  local label=$1; shift
  rm -rf "$work/out"
  /usr/bin/time -f "$label: %e s, %M KB peak" "$bin" run -q --full --format none -o "$work/out" "$@" 2>&1 \
    | grep -v '^newsprep:' || true
}

gen() { # kind, path
  python3 - "$1" "$2" <<'PY'
import os, random, sys
kind, path = sys.argv[1], sys.argv[2]
words = ["council", "harbour", "workers", "river", "market", "station", "budget", "school",
         "police", "mayor", "festival", "court", "union", "bridge", "ferry"]
accented = ["café", "naïve", "élite", "über", "straße", "année", "garçon", "the", "and", "of",
            "report", "council"]
def sentences(seed, size, vocab, sep):
    rnd = random.Random(seed)
    out, n = [], 0
    while n < size:
        s = " ".join(rnd.choice(vocab) for _ in range(20)) + "."
        out.append(s); n += len(s) + len(sep)
    return sep.join(out)
os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
if kind == "one-line":
    open(path, "w").write(sentences(3, 209_715_200, words, " "))
elif kind == "forty":
    for f in range(10):
        open(os.path.join(path, "f%02d.txt" % f), "w").write(sentences(f, 40_000_000, words, "\n\n"))
elif kind == "tiny":
    for i in range(100_000):
        d = os.path.join(path, "%03d" % (i // 1000))
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "%06d.txt" % i), "w").write("Note %d." % i)
elif kind == "accented":
    t = sentences(1, 10_000_000, accented, "\n\n")
    open(path + ".utf8.txt", "wb").write(t.encode("utf-8"))
    open(path + ".cp1252.txt", "wb").write(t.encode("cp1252"))
    open(path + ".utf16.txt", "wb").write(b"\xff\xfe" + t.encode("utf-16-le"))
PY
}

gen one-line "$work/one/one.txt"
measure "200 MB one line, default limit (refused)" -c /dev/null -i "$work/one"
printf '[input]\nmax-file-bytes = 268435456\n' > "$work/raised.toml"
measure "200 MB one line, limit raised to 256 MiB" -c "$work/raised.toml" -i "$work/one"
rm -rf "$work/one"

mkdir -p "$work/forty"; gen forty "$work/forty"
measure "ten 40 MB files" -c /dev/null -i "$work/forty"
rm -rf "$work/forty"

gen tiny "$work/tiny"
measure "100,000 tiny files" -c /dev/null -i "$work/tiny"
rm -rf "$work/tiny"

mkdir -p "$work/enc"; gen accented "$work/enc/text"
for e in utf8 cp1252 utf16; do
  measure "10 MB accented text, $e" -c /dev/null -i "$work/enc/text.$e.txt"
done
rm -rf "$work/enc" "$work/out" "$work/raised.toml"
