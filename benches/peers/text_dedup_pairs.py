#!/usr/bin/env python3
"""Read the union-find text-dedup's minhash dumps with --debug (uf.pkl, keyed by the --idx_column
ids) and write "doc_id<TAB>cluster_root" for every document in a cluster of two or more.

usage: text_dedup_pairs.py UF_PKL PRED_TSV
"""
import collections
import pickle
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        uf = pickle.load(f)
    groups = collections.defaultdict(list)
    for x in list(uf.parent):
        groups[uf.find(x)].append(x)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for root, members in groups.items():
            for m in members:
                if m != root:
                    out.write("%s\t%s\n" % (m, root))


if __name__ == "__main__":
    main()
