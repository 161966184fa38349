#!/usr/bin/env python3
"""datasketch MinHashLSH over a make_bench_corpus.py articles.jsonl: 128 permutations, threshold
0.7, 5-word shingles of lowercase word tokens, each article queried against the earlier ones and
then inserted. Writes "doc_id<TAB>earlier_id" for every match (score_pairs.py --pairs).

usage: datasketch_lsh.py ARTICLES_JSONL PRED_TSV
"""
import json
import re
import sys

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+")


def main():
    articles, pred = sys.argv[1], sys.argv[2]
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    with open(articles, encoding="utf-8") as f, open(pred, "w", encoding="utf-8") as out:
        for line in f:
            r = json.loads(line)
            tokens = WORD.findall(r["text"].lower())
            shingles = {" ".join(tokens[i : i + 5]) for i in range(max(1, len(tokens) - 4))}
            m = MinHash(num_perm=128)
            m.update_batch([s.encode("utf-8") for s in shingles])
            for other in lsh.query(m):
                out.write(r["id"] + "\t" + other + "\n")
            lsh.insert(r["id"], m)


if __name__ == "__main__":
    main()
