#!/usr/bin/env python3
"""The Python anchor of benches/eval_html.sh: trafilatura's extract(html, include_comments=False)
on every <id>.html of a folder, written to <id>.txt; prints `pages seconds` (extraction time
only, one process, one thread).

  anchor_trafilatura.py IN_DIR OUT_DIR
"""
import os
import sys
import time

import trafilatura


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    names = sorted(n for n in os.listdir(src) if n.endswith(".html"))
    spent = 0.0
    for name in names:
        html = open(os.path.join(src, name), encoding="utf-8", errors="replace").read()
        start = time.perf_counter()
        text = trafilatura.extract(html, include_comments=False) or ""
        spent += time.perf_counter() - start
        with open(os.path.join(out, name[:-5] + ".txt"), "w", encoding="utf-8") as o:
            o.write(text)
    print(len(names), f"{spent:.3f}")


if __name__ == "__main__":
    main()
