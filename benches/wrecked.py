#!/usr/bin/env python3
"""Helpers of benches/eval_boilerplate.sh (standard library only).

  wrecked.py write CORPUS.jsonl OUT_DIR INPUT_DIR FLOOR_DIR
      one <id>.txt per cleaned document (title, blank line, body) in OUT_DIR, and the input
      pages themselves as <id>.txt in FLOOR_DIR (the 'nothing removed' floor)
  wrecked.py row SET FORM SCORE_LINE_FILE FLOOR_PER_DOC.csv OUT_PER_DOC.csv SECONDS
      one markdown table row: P, R, F1 of the score line, wrecked pages, seconds
  wrecked.py list FLOOR_PER_DOC.csv OUT_PER_DOC.csv
      the ids of the wrecked pages with both recalls, worst first
"""
import csv
import json
import os
import re
import sys


def write(corpus, out_dir, input_dir, floor_dir):
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(floor_dir, exist_ok=True)
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = (r["title"] + "\n\n" if r.get("title") else "") + r["text"]
            with open(os.path.join(out_dir, r["id"] + ".txt"), "w", encoding="utf-8") as o:
                o.write(text)
    for name in os.listdir(input_dir):
        stem = name.rsplit(".", 1)[0]
        with open(os.path.join(input_dir, name), encoding="utf-8", errors="replace") as i:
            with open(os.path.join(floor_dir, stem + ".txt"), "w", encoding="utf-8") as o:
                o.write(i.read())


def recalls(path):
    """Per page recall: bow recall for full-text sets, share of `with` snippets for snippet sets."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if "bow_r" in row:
                out[row["id"]] = float(row["bow_r"])
            else:
                tp, fn = int(row["snip_tp"]), int(row["snip_fn"])
                out[row["id"]] = tp / (tp + fn) if tp + fn else 1.0
    return out


def wrecked(floor_csv, out_csv):
    floor, out = recalls(floor_csv), recalls(out_csv)
    held = [i for i, r in floor.items() if r >= 0.9]
    bad = sorted((out.get(i, 0.0), i, floor[i]) for i in held if out.get(i, 0.0) < 0.5)
    return held, bad


def row(set_name, form, score_file, floor_csv, out_csv, secs):
    line = open(score_file, encoding="utf-8").read()
    m = re.search(r"(?:bow|snippets) P=([\d.]+) R=([\d.]+) F1=([\d.]+)", line)
    p, r, f1 = m.groups() if m else ("?", "?", "?")
    held, bad = wrecked(floor_csv, out_csv)
    share = 100.0 * len(bad) / len(held) if held else 0.0
    print(f"| {set_name} | {form} | {p} | {r} | {f1} | {len(bad)} of {len(held)} ({share:.1f}%) | {float(secs):.1f} |")


def listing(floor_csv, out_csv):
    _, bad = wrecked(floor_csv, out_csv)
    for r, i, fr in bad:
        print(f"{i}\tinput {fr:.2f}\tcleaned {r:.2f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"write": write, "row": row, "list": listing}[cmd](*args)
