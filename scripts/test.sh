#!/usr/bin/env bash
# Every test: the Rust crate's (unit, end-to-end snapshots, architecture), then the Python
# package's, built with maturin into a fresh virtual environment (maturin, pyarrow, pytest,
# and datatrove for its pipeline step, from PyPI) and tested with pytest. Needs cargo and python3 (3.9 or newer) with venv.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
venv=${NEWSPREP_TEST_VENV:-target/test-venv}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2" "pyarrow>=12" "pytest>=7" "datatrove>=0.4" orjson
"$venv/bin/pip" install --quiet --disable-pip-version-check .
"$venv/bin/python" -m pytest -q python/tests
