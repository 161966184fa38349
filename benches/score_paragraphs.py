#!/usr/bin/env python3
"""Score newsprep's paragraph-level duplicates against make_bench_corpus.py truth.

usage: score_paragraphs.py CORPUS_DIR OUT_DIR
  CORPUS_DIR  a corpus from make_bench_corpus.py (articles.jsonl, truth.jsonl, para_pairs.tsv)
  OUT_DIR     newsprep's output for its articles.jsonl, run with dedup.document.action = "flag"
              so that every document, duplicates too, is in corpus.jsonl with its spans

Each newsprep paragraph is mapped to the generator's paragraph that holds its first byte
(the generator's paragraphs are the record text split at blank lines). Then:
- cross-document pairs: duplicates.csv paragraph rows whose two documents differ, both sides
  body paragraphs, closed transitively (as score_pairs.py does for documents) and compared
  with para_pairs.tsv closed the same way: pair precision and recall;
- bodies emitted twice: every repeated paragraph ("r") must be removed as a repeat of its own
  first copy in the same document, and no other body paragraph may be removed as a repeat of
  one in the same document (unless both copy the same source paragraph, which the generator's
  shared paragraphs sometimes place twice in one article).
Prints one JSON line.
"""
import bisect
import collections
import csv
import itertools
import json
import os
import re
import sys

SEP = re.compile(rb"\r?\n[ \t]*\r?\n")


def truth_paragraphs(text):
    """Start offsets (bytes) of the generator's paragraphs."""
    starts, pos = [0], 0
    for m in SEP.finditer(text):
        starts.append(m.end())
    return starts


def pairs_of(groups):
    out = set()
    for members in groups.values():
        for a, b in itertools.combinations(sorted(members), 2):
            out.add((a, b))
    return out


def closure(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = collections.defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return pairs_of(groups)


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    starts, labels, repeated = {}, {}, set()
    with open(os.path.join(corpus, "articles.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            starts[r["id"]] = truth_paragraphs(r["text"].encode("utf-8"))
    with open(os.path.join(corpus, "truth.jsonl"), encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            labels[t["id"]] = t["paras"]
            if t["body_repeated"]:
                repeated.add(t["id"])

    def label(doc, offset):
        i = bisect.bisect_right(starts[doc], offset) - 1
        return labels[doc][i]

    # newsprep paragraph index -> first byte, per document.
    first_byte = {}
    with open(os.path.join(out, "corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            removed = {x["paragraph"]: x["start"] for x in r["removed"]}
            n = len(r["spans"]) + len(removed)
            kept = iter(r["spans"])
            first_byte[r["id"]] = [removed[i] if i in removed else next(kept)[0] for i in range(n)]

    def resolve(name):
        doc, _, idx = name.rpartition("#")
        return doc, label(doc, first_byte[doc][int(idx)])

    predicted, other_pairs = [], collections.Counter()
    twice_found, twice_wrong = set(), 0
    with open(os.path.join(out, "duplicates.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["level"] != "paragraph":
                continue
            (md, ml), (cd, cl) = resolve(row["member"]), resolve(row["canonical"])
            if md == cd:
                # A repeat inside one document: right when it is the second copy of a body.
                if ml[0] == "r" and cl[0] == "p":
                    # Its own first copy, or an equal paragraph before it (reused text).
                    twice_found.add((md, ml[1]))
                    if ml[1] != cl[1]:
                        other_pairs["same-document r-p, another copy of the same text"] += 1
                elif ml[0] == "p" and cl[0] == "p" and len(ml) > 2 and len(cl) > 2 and ml[2] == cl[2]:
                    # Two copies of one earlier paragraph reused in the same document.
                    other_pairs["same-document reuse of one source paragraph"] += 1
                elif ml[0] == "p":
                    twice_wrong += 1  # a body paragraph removed as a repeat of a different one
                else:
                    other_pairs["same-document " + ml[0] + "-" + cl[0]] += 1
                continue
            if ml[0] == "p" and cl[0] == "p":
                predicted.append((ml[1], cl[1]))
            else:
                other_pairs[ml[0] + "-" + cl[0]] += 1
    truth_edges, kinds = [], {}
    with open(os.path.join(corpus, "para_pairs.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            a, b, kind = line.rstrip("\n").split("\t")
            truth_edges.append((a, b))
            kinds[(a, b)] = kind
    truth, pred = closure(truth_edges), closure(predicted)
    tp = len(truth & pred)
    # Recall of the truth's own edges by kind (an edge counts when its two ends share a cluster).
    by_kind = collections.defaultdict(lambda: [0, 0])
    for (a, b), kind in kinds.items():
        by_kind[kind][0] += (min(a, b), max(a, b)) in pred
        by_kind[kind][1] += 1
    twice_truth = {(d, l[1]) for d in repeated for l in labels[d] if l[0] == "r"}
    result = {
        "paragraph_pairs": {
            "truth": len(truth),
            "predicted": len(pred),
            "tp": tp,
            "precision": round(tp / len(pred), 4) if pred else 1.0,
            "recall": round(tp / len(truth), 4) if truth else 1.0,
            "edge_recall": {k: "%d/%d" % tuple(v) for k, v in sorted(by_kind.items())},
            "other_repeats": dict(other_pairs),
        },
        "bodies_twice": {
            "documents": len(repeated),
            "repeated_paragraphs": len(twice_truth),
            "removed_as_repeat_of_a_first_copy": len(twice_found & twice_truth),
            "body_paragraphs_wrongly_removed_as_in_document_repeats": twice_wrong,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
