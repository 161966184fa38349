"""The sharded run on an engine against one `newsprep run` over the same feed: the shards'
files, concatenated in shard order, are byte for byte one run's corpus.jsonl, manifest.csv and
duplicates.csv, so every (id, status), duplicate pair and canonical copy is the same."""

from __future__ import annotations

import csv
import io
import pathlib
import subprocess

import pytest

import newsprep
from newsprep import distributed

import feedgen

ROOT = pathlib.Path(__file__).resolve().parents[2]
FILES = (("corpus", "jsonl"), ("manifest", "csv"), ("duplicates", "csv"))


@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """A 2,000-record feed and what one `newsprep run` writes for it."""
    d = tmp_path_factory.mktemp("one")
    feed = feedgen.write(d / "raw" / "feed.jsonl")
    out = d / "one"
    cli = subprocess.run(
        ["cargo", "run", "--quiet", "--manifest-path", str(ROOT / "Cargo.toml"), "--", "run", "-q", "--format", "none",
         "--input", str(feed.parent), "--output", str(out)],
        capture_output=True, text=True,
    )
    assert cli.returncode == 1, cli.stderr  # the broken line and the taken id are errors
    files = {stem: (out / f"{stem}.{ext}").read_text(encoding="utf-8") for stem, ext in FILES}
    return feed, files


def concatenated(out: pathlib.Path, shards: int) -> dict[str, str]:
    files = {}
    for stem, ext in FILES:
        parts = [(out / f"{stem}-{i:05d}.{ext}").read_text(encoding="utf-8") for i in range(shards)]
        if ext == "csv":  # one header
            parts = parts[:1] + [p.split("\n", 1)[1] for p in parts[1:]]
        files[stem] = "".join(parts)
    return files


def test_the_feed_has_what_the_phases_must_carry(one_run):
    _, files = one_run
    statuses = [r["status"] for r in csv.DictReader(io.StringIO(files["manifest"]))]
    assert statuses.count("duplicate") > 100 and statuses.count("error") == 2 and "empty" in statuses
    assert '"reason":"site"' in files["corpus"], "site lines learned and removed"
    assert ",paragraph," in files["duplicates"], "reused paragraphs removed"


def test_ray_at_4_shards_decides_what_one_run_decides(one_run, tmp_path):
    feed, files = one_run
    summaries = distributed.run(feed, 4, tmp_path / "out", engine="ray")
    assert concatenated(tmp_path / "out", 4) == files
    phases = [s["phase"] for s in summaries]
    assert phases == ["sites"] * 4 + ["learn"] + ["prints"] * 4 + ["bands"] * 4 + ["pairs"] * 4 + ["decide"] + ["apply"] * 4
    assert sum(s["records"] for s in summaries if s["phase"] == "apply") == 2000  # every line, the broken one too


def test_spark_and_the_local_engine_give_the_same(one_run, tmp_path):
    feed, files = one_run
    summaries = distributed.run(feed, 3, tmp_path / "spark", engine="spark", partitions=5)
    assert concatenated(tmp_path / "spark", 3) == files
    # The band rows went through Spark SQL's shuffle into its 5 partitions.
    assert sorted(s["shard"] for s in summaries if s["phase"] == "pairs") == [0, 1, 2, 3, 4]
    assert list((tmp_path / "spark" / ".work").glob("grouped-*.parquet"))
    # Without the band-key group-by: the global task holds one index of every print.
    summaries = distributed.run(feed, 7, tmp_path / "local", engine="local", partitions=0)
    assert "pairs" not in [s["phase"] for s in summaries]
    assert concatenated(tmp_path / "local", 7) == files


def test_each_phase_is_callable_on_its_own(one_run, tmp_path):
    feed, files = one_run
    out, n, parts = tmp_path / "out", 2, 3
    for name in ("sites", "learn", "prints", "bands", "pairs", "decide", "apply"):
        tasks = 1 if name in distributed.GLOBAL else parts if name == "pairs" else n
        for i in range(tasks):
            summary = distributed.phase(name, feed, n, out, shard=i, partitions=parts)
            assert summary["phase"] == name and summary["bytes"] > 0
    assert concatenated(out, n) == files
    with pytest.raises(newsprep.CleanError, match="no phase"):
        distributed.phase("shuffle", feed, n, out)


def test_bad_input_raises_a_clear_error(tmp_path):
    with pytest.raises(newsprep.CleanError, match="one JSONL feed"):
        distributed.run(tmp_path, 2, tmp_path / "out", engine="local")
    with pytest.raises(newsprep.ConfigError, match="max-distance"):
        distributed.run(tmp_path, 2, tmp_path / "out", engine="local",
                        config={"dedup": {"paragraph": {"max-distance": 99}}})
    with pytest.raises(newsprep.CleanError, match="--shards"):
        distributed.run(tmp_path, 0, tmp_path / "out", engine="local")
