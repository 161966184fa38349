"""A newsprep corpus run over a JSONL feed on a cluster, through an existing engine.

    python -m newsprep.distributed --engine ray --input FEED --shards N --output DIR

The feed is cut into N contiguous shards. The phases of ``newsprep shard`` run as the engine's
tasks and exchange plain Parquet tables in a work folder (``DIR/.work`` unless ``--work`` says):

1. per shard, ``sites``: each short line's documents (``sites-00000.parquet``);
2. global, ``learn``: the site lines learned from the whole feed (``.newsprep/sites.json``);
3. per shard, ``prints``: clean and fingerprint (``prints-*.parquet``, ``paragraphs-*.parquet``);
4. dedup, in three steps: per shard, ``bands``: every compared text under each of its band
   keys, hash-partitioned into P files (``bands-SSSSS-PPPPP.parquet``: the shuffle); per
   partition, ``pairs``: the rows grouped by key and the pairs in each group verified
   (``pairs-PPPPP.parquet``); global, ``decide``: the verified pairs replayed in feed order
   through the dedup barrier (``decisions-*.parquet``). With ``--partitions 0``, ``decide``
   alone does it, with one index of every print;
5. per shard, ``apply``: clean again, apply the decisions, write ``corpus-00000.jsonl``,
   ``manifest-00000.csv`` and ``duplicates-00000.csv`` into DIR.

Concatenated in shard order, the shards' files are what one ``newsprep run`` over the feed
writes. Steps 1-2 run only when site learning is on. Every task reads and writes by path, so
the feed, the work folder and DIR must be on storage every worker sees (a shared or network
file system); on one machine that is any folder.

Engines: ``ray`` (Ray Data; local unless ``RAY_ADDRESS`` names a cluster), ``spark``
(``mapInArrow`` over a one-row-per-shard DataFrame; a local session unless ``--spark-master``),
and ``local`` (the phases one after another in this process, no engine). On Spark the band rows
are shuffled by Spark SQL itself (``DISTRIBUTE BY key SORT BY key, doc, part``: each shard
writes one band file, and each Spark partition's rows go to the pairs step in a mapInArrow
task); on Ray and locally, through the per-partition band files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import CleanError, NativeCleaner, NewsprepError, config_text

__all__ = ["run", "phase", "PER_SHARD", "PER_PARTITION", "GLOBAL"]

#: Phases run once per shard, once per partition, and once over all shards.
PER_SHARD = ("sites", "prints", "bands", "apply")
PER_PARTITION = ("pairs",)
GLOBAL = ("learn", "decide")


class _Phases:
    """What a task needs to run a phase: plain strings, so it pickles to any worker."""

    def __init__(self, toml: str, path: str, feed: str, work: str, output: str, shards: int,
                 partitions: int) -> None:
        self.toml, self.path = toml, path
        self.feed, self.work, self.output, self.shards = feed, work, output, shards
        self.partitions = partitions

    def tasks(self, phase: str) -> int:
        """How many tasks the phase has."""
        if phase in GLOBAL:
            return 1
        return self.partitions if phase in PER_PARTITION else self.shards

    def __call__(self, phase: str, shard: int = 0, jobs: int = 1, partitions: int | None = None) -> dict[str, Any]:
        parts = self.partitions if partitions is None else partitions
        return self._timed(phase, shard, jobs, lambda native: native.shard(
            phase, self.feed, self.work, shard, self.shards, self.output, parts))

    def pairs_of(self, partition: int, files: list[str], jobs: int = 1) -> dict[str, Any]:
        """The pairs phase over band rows the engine partitioned by key itself."""
        return self._timed("pairs", partition, jobs, lambda native: native.pairs_of(partition, files, self.work))

    def _timed(self, phase: str, shard: int, jobs: int, call: Callable[[Any], str]) -> dict[str, Any]:
        """Run `call` on a native cleaner; its summary, with the phase, shard, time and peak memory."""
        _reset_peak_rss()
        started = time.monotonic()
        summary = json.loads(call(NativeCleaner(self.toml, self.path, jobs)))
        summary.update(phase=phase, shard=shard, seconds=round(time.monotonic() - started, 3),
                       peak_rss_mb=_peak_rss_mb())
        return summary

    def learns_sites(self) -> bool:
        return NativeCleaner(self.toml, self.path, 1).learns_sites


def _reset_peak_rss() -> None:
    """Start this process's peak-memory count afresh (Linux), so a worker that ran other tasks
    before reports this task's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    """This process's peak resident memory since the last reset (a worker's, in a task)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(kb / 1024 * (1 / 1024 if sys.platform == "darwin" else 1), 1)
    except ImportError:  # pragma: no cover - Windows
        return 0.0


Engine = Callable[[_Phases, str], list[dict[str, Any]]]


def _local(phases: _Phases, phase: str) -> list[dict[str, Any]]:
    if phase in GLOBAL:
        return [phases(phase, 0, 0)]
    return [phases(phase, i, 0) for i in range(phases.tasks(phase))]


def _ray(phases: _Phases, phase: str) -> list[dict[str, Any]]:
    import ray

    if phase in GLOBAL:
        # One task, in a process of its own (max_calls=1: the worker leaves after it, so its
        # memory, the dedup index, is not carried into the next phase's tasks); it takes the
        # cores of its node.
        task = ray.remote(num_cpus=1, max_calls=1)(lambda: phases(phase, 0, 0))
        return [ray.get(task.remote())]
    n = phases.tasks(phase)
    ds = ray.data.from_items([{"shard": i} for i in range(n)], override_num_blocks=n)
    rows = ds.map(lambda row: {"summary": json.dumps(phases(phase, int(row["shard"]), 1))}, num_cpus=1).take_all()
    return sorted((json.loads(r["summary"]) for r in rows), key=lambda s: s["shard"])


def _spark(phases: _Phases, phase: str, master: str | None = None) -> list[dict[str, Any]]:
    from pyspark.sql import SparkSession

    # Local workers run the driver's Python (where newsprep is installed) unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(master or "local[*]").appName("newsprep")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    if phase == "pairs":
        return _spark_pairs(spark, phases)
    shards = phases.tasks(phase)
    # Spark shuffles the band rows itself (see _spark_pairs): each shard writes them in one file.
    partitions = 1 if phase == "bands" else None

    def task(batches: Any) -> Any:
        import pyarrow as pa

        for b in batches:
            jobs = 0 if phase in GLOBAL else 1
            out = [json.dumps(phases(phase, int(s), jobs, partitions)) for s in b.column("shard").to_pylist()]
            yield pa.RecordBatch.from_pydict({"summary": out})

    df = spark.createDataFrame([(i,) for i in range(shards)], "shard int").repartition(shards, "shard")
    rows = df.mapInArrow(task, "summary string").collect()
    return sorted((json.loads(r["summary"]) for r in rows), key=lambda s: s["shard"])


def _spark_pairs(spark: Any, phases: _Phases) -> list[dict[str, Any]]:
    """The band-key group-by in Spark SQL: the shards' band rows distributed by key into the run's
    partitions and sorted there (Spark's shuffle), then each partition's pairs verified by
    newsprep in a mapInArrow task."""
    import pyarrow as pa

    work, n = phases.work, phases.partitions
    files = [os.path.join(work, f"bands-{i:05d}-00000.parquet") for i in range(phases.shards)]
    spark.conf.set("spark.sql.shuffle.partitions", str(n))
    spark.read.parquet(*files).createOrReplaceTempView("newsprep_bands")
    grouped = spark.sql("SELECT * FROM newsprep_bands DISTRIBUTE BY key SORT BY key, doc, part")

    def task(batches: Any) -> Any:
        import pyarrow.parquet as pq
        from pyspark import TaskContext

        p = TaskContext.get().partitionId()
        # Spark reads unsigned 64-bit columns as decimals and 32-bit ones as longs: back to newsprep's types.
        got = list(batches)
        table = pa.Table.from_batches(got).cast(_band_schema()) if got else _band_schema().empty_table()
        path = os.path.join(work, f"grouped-{p:05d}.parquet")
        pq.write_table(table, path)
        yield pa.RecordBatch.from_pydict({"summary": [json.dumps(phases.pairs_of(p, [path]))]})

    rows = [json.loads(r["summary"]) for r in grouped.mapInArrow(task, "summary string").collect()]
    done = {r["shard"] for r in rows}
    # A partition no key went to still needs its (empty) pairs and cuts files.
    rows += [phases.pairs_of(p, []) for p in range(n) if p not in done]
    return sorted(rows, key=lambda s: s["shard"])


def _band_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("key", pa.uint64()), ("doc", pa.uint64()), ("part", pa.uint32()), ("exact", pa.uint64()),
                      ("simhash", pa.uint64()), ("sketch", pa.list_(pa.uint32()))])


def run(feed: str | os.PathLike[str], shards: int, output: str | os.PathLike[str], *,
        config: str | os.PathLike[str] | Mapping[str, Any] | None = None, engine: str = "ray",
        work: str | os.PathLike[str] | None = None, spark_master: str | None = None,
        partitions: int | None = None) -> list[dict[str, Any]]:
    """Run every phase over ``feed`` in ``shards`` shards on ``engine``; the shards' files go to
    ``output``. Dedup pairs texts grouped by band key in ``partitions`` partitions (default: as
    many as shards; 0: one index of every print in the global task instead). Returns each
    task's summary (phase, shard or partition, records, kept, rows, bytes written, seconds, the
    task's peak memory in MB), in the order the phases ran."""
    if shards < 1:
        raise CleanError(f"--shards must be 1 or more, not {shards}")
    phases = _phases(feed, shards, output, config, work, partitions)
    partitions = phases.partitions
    engines: dict[str, Engine] = {
        "local": _local,
        "ray": _ray,
        "spark": lambda p, ph: _spark(p, ph, spark_master),
    }
    if engine not in engines:
        raise CleanError(f"no engine `{engine}` (ray, spark or local)")
    if engine == "ray":
        import ray

        # RAY_ADDRESS, when set, names the cluster to join; otherwise Ray starts on this machine.
        ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
    order = [p for p in ("sites", "learn") if phases.learns_sites()] + ["prints"]
    order += ["bands", "pairs"] if partitions > 0 else []
    order += ["decide", "apply"]
    summaries: list[dict[str, Any]] = []
    for phase in order:
        summaries.extend(engines[engine](phases, phase))
    return summaries


def phase(name: str, feed: str | os.PathLike[str], shards: int, output: str | os.PathLike[str], *,
          shard: int = 0, partitions: int | None = None,
          config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
          work: str | os.PathLike[str] | None = None, jobs: int = 0) -> dict[str, Any]:
    """Run one phase (``sites``, ``learn``, ``prints``, ``bands``, ``pairs``, ``decide`` or
    ``apply``) for shard (or, for ``pairs``, partition) ``shard``, for an engine of your own:
    :func:`run` calls the phases in that order. Arguments as for :func:`run`; ``jobs`` threads
    (0: all cores). Returns what the phase did."""
    return _phases(feed, shards, output, config, work, partitions)(name, shard, jobs)


def _phases(feed: str | os.PathLike[str], shards: int, output: str | os.PathLike[str],
            config: str | os.PathLike[str] | Mapping[str, Any] | None, work: str | os.PathLike[str] | None,
            partitions: int | None) -> _Phases:
    """The arguments of :func:`run` and :func:`phase` as every task needs them: absolute paths
    (workers may start elsewhere), the config's text, the partitions (default: the shards)."""
    partitions = shards if partitions is None else partitions
    if partitions < 0:
        raise CleanError(f"--partitions must be 0 or more, not {partitions}")
    if isinstance(config, (str, os.PathLike)):
        config = os.path.abspath(config)
    toml, path = config_text(config)
    output = os.path.abspath(output)
    work = os.path.abspath(work) if work is not None else os.path.join(output, ".work")
    return _Phases(toml, path, os.path.abspath(feed), work, output, shards, partitions)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m newsprep.distributed", description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", choices=("ray", "spark", "local"), default="ray")
    p.add_argument("--input", required=True, help="the JSONL feed (.jsonl, .jsonl.gz, .jsonl.zst)")
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--output", required=True, help="folder for the shards' corpus, manifest and duplicates files")
    p.add_argument("--config", help="pipeline.toml (defaults if not given)")
    p.add_argument("--work", help="folder for the tables the phases exchange (default OUTPUT/.work)")
    p.add_argument("--partitions", type=int,
                   help="partitions of the band-key group-by (default: the number of shards; 0: no group-by, "
                        "the global task holds one index of every print)")
    p.add_argument("--spark-master", help="Spark master URL (default local[*])")
    p.add_argument("--summary", help="write every task's summary here as JSON lines")
    a = p.parse_args(argv)
    started = time.monotonic()
    try:
        summaries = run(a.input, a.shards, a.output, config=a.config, engine=a.engine, work=a.work,
                        spark_master=a.spark_master, partitions=a.partitions)
    except NewsprepError as e:
        print(f"newsprep: error: {e}", file=sys.stderr)
        return 2
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(s) + "\n" for s in summaries)
    kept = sum(s["kept"] for s in summaries if s["phase"] == "apply")
    records = sum(s["records"] for s in summaries if s["phase"] == "apply")
    print(f"newsprep: {records} records in {a.shards} shards, {kept} kept, on {a.engine} "
          f"in {time.monotonic() - started:.1f} s -> {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
