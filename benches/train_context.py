#!/usr/bin/env python3
"""Fit the boilerplate context model (src/stages/boilerplate/context.model) on the development sets.

usage: train_context.py EVAL_DIR FEATURES_DIR OUT.model [--hold-out SET] [--seed N] [--forms text,md|html]
  EVAL_DIR      the sets' folder (ground_truth.jsonl per set), e.g. ../shared/eval
  FEATURES_DIR  SET-FORM.jsonl files written by
                `cargo run --release --example paragraph_features` (benches/train_context.sh
                makes them and runs this script, cross-validated by set)
  --hold-out    leave this set out of the fit (to score it as unseen)
Needs numpy.

Each candidate paragraph is labelled from its page's ground truth: the share of its word
bigrams (its word, for one-word paragraphs) found in the gold text. For snippet sets
(trafilatura_eval) a paragraph matched by `with` snippets is content, one matched by `without`
snippets is boilerplate, and the rest are left out. Each page weighs the same, and each set the
same; inside a page a paragraph weighs by its words, as bag-of-words F1 counts them. The fit is
logistic regression with a small L2 penalty, by Newton's method: deterministic (the seed only
orders the rows, to show it changes nothing).
"""
import argparse
import collections
import json
import os
import re

import numpy as np

TOKEN = re.compile(r"\w+")
NAMES = None  # read from the features' width; names are in context.rs order
SETS = ("dragnet", "cleaneval", "trafilatura_eval")
FORMS = ("text", "md")
L2 = 1e-3


def bigrams(tokens):
    return set(zip(tokens, tokens[1:]))


def load_truth(path):
    truth = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "text" in r:
                t = TOKEN.findall(r["text"])
                truth[r["id"]] = ("text", set(t), bigrams(t))
            else:
                w = [TOKEN.findall(s) for s in r.get("with", [])]
                wo = [TOKEN.findall(s) for s in r.get("without", [])]
                truth[r["id"]] = (
                    "snippets",
                    set().union(*map(set, w)) if w else set(),
                    set().union(*map(bigrams, w)) if w else set(),
                    set().union(*map(set, wo)) if wo else set(),
                    set().union(*map(bigrams, wo)) if wo else set(),
                )
    return truth


def share(tokens, uni, bi):
    if len(tokens) >= 2:
        b = list(zip(tokens, tokens[1:]))
        return sum(x in bi for x in b) / len(b)
    return float(tokens[0] in uni)


def label(text, gold):
    tokens = TOKEN.findall(text)
    if not tokens:
        return None
    if gold[0] == "text":
        return share(tokens, gold[1], gold[2])
    pos = share(tokens, gold[1], gold[2])
    neg = share(tokens, gold[3], gold[4])
    if pos >= 0.5 and pos > neg:
        return 1.0
    if neg >= 0.5:
        return 0.0
    return None


def rows(eval_dir, feat_dir, sets, forms=FORMS):
    """X, y, w for the given sets and input forms; each set's rows sum to weight 1."""
    xs, ys, ws = [], [], []
    for s in sets:
        truth = load_truth(os.path.join(eval_dir, s, "ground_truth.jsonl"))
        px, py, pw, pages = [], [], [], collections.defaultdict(float)
        for form in forms:
            path = os.path.join(feat_dir, f"{s}-{form}.jsonl")
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                for line in f:
                    r = json.loads(line)
                    gold = truth.get(r["page"])
                    if gold is None:
                        continue
                    y = label(r["text"], gold)
                    if y is None:
                        continue
                    n = len(TOKEN.findall(r["text"]))
                    key = (form, r["page"])
                    pages[key] += n
                    px.append(r["x"])
                    py.append(y)
                    pw.append((key, n))
        w = np.array([n / pages[k] for k, n in pw])
        w /= w.sum()
        xs.append(np.array(px, dtype=np.float64))
        ys.append(np.array(py))
        ws.append(w)
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


def fit(X, y, w):
    """Weighted logistic regression with an L2 penalty (not on the bias), Newton's method."""
    X1 = np.hstack([np.ones((len(X), 1)), X])
    beta = np.zeros(X1.shape[1])
    pen = np.full(X1.shape[1], L2)
    pen[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(X1 @ beta, -30, 30)))
        g = X1.T @ (w * (p - y)) + pen * beta
        H = (X1 * (w * p * (1 - p))[:, None]).T @ X1 + np.diag(pen)
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def names_from_source():
    src = os.path.join(os.path.dirname(__file__), "..", "src", "stages", "boilerplate", "context.rs")
    text = open(src, encoding="utf-8").read()
    block = text.split("pub const NAMES")[1].split("];")[0]
    return re.findall(r'^\s*"([a-z-]+)",', block, re.M)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eval_dir")
    ap.add_argument("feat_dir")
    ap.add_argument("out")
    ap.add_argument("--hold-out", choices=SETS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--forms", default=",".join(FORMS), help="input forms to fit on: text,md (default) or html")
    a = ap.parse_args()
    sets = [s for s in SETS if s != a.hold_out]
    forms = tuple(a.forms.split(","))
    X, y, w = rows(a.eval_dir, a.feat_dir, sets, forms)
    order = np.random.default_rng(a.seed).permutation(len(y))
    beta = fit(X[order], y[order], w[order])
    names = names_from_source()
    assert len(names) == X.shape[1], f"{len(names)} names for {X.shape[1]} features"
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("# newsprep context model: logistic weights over the context features (context.rs).\n")
        f.write(f"# Fitted by benches/train_context.py on {', '.join(sets)} ({' and '.join(forms)}), seed {a.seed}.\n")
        f.write(f"bias {beta[0]:.4f}\n")
        for n, b in zip(names, beta[1:]):
            f.write(f"{n} {b:.4f}\n")
    p = 1 / (1 + np.exp(-(np.hstack([np.ones((len(X), 1)), X]) @ beta)))
    acc = float((w * ((p >= 0.5) == (y >= 0.5))).sum() / w.sum())
    print(f"fit on {', '.join(sets)}: {len(y)} paragraphs, weighted accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
