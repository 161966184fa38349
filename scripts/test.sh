#!/usr/bin/env bash
# Every test: the Rust crate's (unit, end-to-end snapshots, architecture), then the Python
# package's, built with maturin into a fresh virtual environment (maturin, pyarrow, pytest,
# datatrove for its pipeline step, Ray and pyspark for the sharded run, from PyPI) and tested
# with pytest. Needs cargo, python3 (3.9 or newer) with venv, and Java 17 for Spark.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
venv=${NEWSPREP_TEST_VENV:-target/test-venv}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2" "pyarrow>=12" "pytest>=7" \
  "datatrove>=0.4" orjson "ray[data]>=2.9" "pyspark>=3.5"
"$venv/bin/pip" install --quiet --disable-pip-version-check .
"$venv/bin/python" -m pytest -q python/tests
