"""newsprep: clean scraped articles into a deduplicated corpus with provenance.

The Rust core cleans; this module hands it records and gives back one row per record::

    from newsprep import Cleaner
    cleaner = Cleaner({"dedup": {"document": {"action": "drop"}}})
    rows = cleaner.clean([{"id": "a", "text": "..."}, {"id": "b", "html": "<html>..."}])

A batch is a list of dicts (the fields of a JSONL feed record: ``id``, ``text`` or ``html``,
``title``, ``url``, ``site``, ``date``, ``author``, under the names ``[input.fields]`` gives) or a
``pyarrow.RecordBatch``/``Table`` of them (the result is then a ``RecordBatch``). Each row says
what became of its record (``status``: kept, duplicate, empty, error) and why, and for a
document that was read: its cleaned text, metadata, body SimHash, and every removed paragraph
with its reason, rule and byte span. The same decisions as ``newsprep clean`` on the same records
(within one batch: dedup and site learning see the batch's records, in order).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ._newsprep import CleanError, ConfigError, NativeCleaner, NewsprepError, __version__, toml_of_json

__all__ = ["Cleaner", "NewsprepError", "ConfigError", "CleanError", "ROW_FIELDS", "__version__"]

#: The fields of a result row, in order.
ROW_FIELDS = (
    "id", "line", "status", "message", "duplicate_of", "distance", "text", "title", "author",
    "published", "site", "dateline", "simhash", "paragraphs_kept", "paragraphs_removed", "removed",
)

#: The fields of a removed paragraph.
REMOVED_FIELDS = (
    "paragraph", "start", "end", "reason", "rule", "category", "field", "why", "score",
    "duplicate_of", "distance", "similarity", "text",
)


class Cleaner:
    """A pipeline, configured once, that cleans batches of records.

    ``config`` is a path to a ``pipeline.toml``, a dict of the same keys (``{"boilerplate":
    {"classifier": {"preset": "precision"}}}``), or None for the defaults. A config that
    cannot be used raises :class:`ConfigError` with the message the command line prints.
    ``jobs`` is the number of threads (0: all cores); ``dedup_window`` bounds document dedup to
    that many recent documents (0: the whole batch).
    """

    def __init__(self, config: str | os.PathLike[str] | Mapping[str, Any] | None = None, *, jobs: int = 0,
                 dedup_window: int = 0) -> None:
        toml, path = config_text(config)
        self._native = NativeCleaner(toml, path, jobs)
        self._window = dedup_window

    def clean(self, batch: Any) -> Any:
        """Clean a batch; one row per record, in order (see the module's doc)."""
        records, arrow = _records(batch)
        lines = b"".join(json.dumps(r, ensure_ascii=False, default=str).encode() + b"\n" for r in records)
        out, _messages = self._native.clean(lines, "batch", self._window)
        rows = [_row(json.loads(line)) for line in out.splitlines()]
        if arrow:
            import pyarrow as pa

            return pa.RecordBatch.from_pylist(rows, schema=_schema())
        return rows


def config_text(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> tuple[str, str]:
    """A config as (pipeline.toml text, the path that names it in errors)."""
    if config is None:
        return "", "<defaults>"
    if isinstance(config, Mapping):
        return toml_of_json(json.dumps(config)), "<config dict>"
    path = os.fspath(config)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror or e}") from None


def _records(batch: Any) -> tuple[list[dict[str, Any]], bool]:
    if isinstance(batch, list):
        return batch, False
    to_pylist = getattr(batch, "to_pylist", None)
    if to_pylist is not None:  # pyarrow RecordBatch or Table
        return to_pylist(), True
    raise TypeError(f"a batch is a list of dicts or a pyarrow RecordBatch, not {type(batch).__name__}")


def _row(line: dict[str, Any]) -> dict[str, Any]:
    record = line.get("record") or {}
    kept = line["status"] == "kept"
    removed = []
    for r in record.get("removed", []):
        of = r.get("duplicate_of")
        removed.append({k: (of["id"] if k == "duplicate_of" and of else r.get(k)) for k in REMOVED_FIELDS})
    return {
        "id": line["id"],
        "line": line.get("line"),
        "status": line["status"],
        "message": line.get("message") or None,
        "duplicate_of": line.get("duplicate_of") or None,
        "distance": line.get("distance"),
        "text": record.get("text") if kept else None,
        "title": record.get("title"),
        "author": record.get("author"),
        "published": record.get("published"),
        "site": record.get("site"),
        "dateline": record.get("dateline"),
        "simhash": record.get("simhash"),
        "paragraphs_kept": line.get("paragraphs_kept", 0),
        "paragraphs_removed": line.get("paragraphs_removed", 0),
        "removed": removed,
    }


def _schema() -> Any:
    import pyarrow as pa

    s, i, f = pa.string(), pa.int64(), pa.float64()
    removed = pa.struct([
        ("paragraph", i), ("start", i), ("end", i), ("reason", s), ("rule", s), ("category", s), ("field", s),
        ("why", s), ("score", f), ("duplicate_of", s), ("distance", i), ("similarity", f), ("text", s),
    ])
    return pa.schema([
        ("id", s), ("line", i), ("status", s), ("message", s), ("duplicate_of", s), ("distance", i), ("text", s),
        ("title", s), ("author", s), ("published", s), ("site", s), ("dateline", s), ("simhash", s),
        ("paragraphs_kept", i), ("paragraphs_removed", i), ("removed", pa.list_(removed)),
    ])
