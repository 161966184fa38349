#!/usr/bin/env python3
"""The documents newsprep marked as duplicates, as score_pairs.py --pairs reads them.

usage: manifest_pairs.py MANIFEST_CSV PRED_TSV
Writes "id<TAB>duplicate_of" for every manifest.csv row with status `duplicate`.
"""
import csv
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for row in csv.DictReader(f):
        if row["status"] == "duplicate":
            out.write(row["id"] + "\t" + row["duplicate_of"] + "\n")
