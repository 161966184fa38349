"""newsprep as a datatrove pipeline step: ``pip install newsprep datatrove``, then::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from newsprep.datatrove import NewsprepCleaner

    LocalPipelineExecutor(pipeline=[
        JsonlReader("scraped/"),
        NewsprepCleaner("pipeline.toml"),
        JsonlWriter("clean/"),
    ]).run()

Documents go to :class:`newsprep.Cleaner` in batches, in order. A kept document leaves with its
cleaned text, and its metadata gains what newsprep found (title, author, published, site,
dateline) and did (``newsprep_simhash``, ``newsprep_removed``: the removed paragraphs with their
reasons and spans). Every other document (a duplicate, an empty page, an unreadable record) is
counted in the step's stats under its status and handed to ``exclusion_writer`` when one is
given, with ``newsprep_status`` and ``newsprep_message`` in its metadata: none is dropped
unaccounted.
"""

from __future__ import annotations

from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from . import Cleaner

#: Document metadata passed to newsprep as feed record fields (title, url, date, ...).
PASSED_METADATA = ("title", "url", "site", "date", "author")


class NewsprepCleaner(PipelineStep):
    """Clean documents with newsprep. ``config``: a pipeline.toml path, a dict of its keys, or
    None; ``html``: the documents' text is the page's HTML (read through its DOM);
    ``batch_size``: documents per call (dedup and site learning see one batch at a time)."""

    name = "🧹 newsprep"
    type = "✂️ - FORMAT"

    def __init__(self, config: Any = None, *, html: bool = False, batch_size: int = 1000, jobs: int = 0,
                 exclusion_writer: Any = None) -> None:
        super().__init__()
        self.config = config
        self.html = html
        self.batch_size = batch_size
        self.jobs = jobs
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # The native cleaner is made here, in the worker: a step is pickled to reach it.
        cleaner = Cleaner(self.config, jobs=self.jobs)
        excluded = self.exclusion_writer.__enter__() if self.exclusion_writer else None
        try:
            batch: list[Document] = []
            for doc in data or ():
                batch.append(doc)
                if len(batch) >= self.batch_size:
                    yield from self._clean(cleaner, batch, excluded, rank)
                    batch = []
            if batch:
                yield from self._clean(cleaner, batch, excluded, rank)
        finally:
            if self.exclusion_writer:
                self.exclusion_writer.__exit__(None, None, None)

    def _clean(self, cleaner: Cleaner, docs: list[Document], excluded: Any, rank: int) -> DocumentsPipeline:
        records = []
        for d in docs:
            r = {k: d.metadata[k] for k in PASSED_METADATA if isinstance(d.metadata.get(k), str)}
            r["id"] = str(d.id)
            r["html" if self.html else "text"] = d.text
            records.append(r)
        with self.track_time(unit="batch"):
            rows = cleaner.clean(records)
        for d, row in zip(docs, rows):
            self.stat_update(row["status"])
            if row["status"] != "kept":
                d.metadata["newsprep_status"] = row["status"]
                d.metadata["newsprep_message"] = row["message"]
                if excluded is not None:
                    excluded.write(d, rank)
                continue
            d.text = row["text"]
            for k in ("title", "author", "published", "site", "dateline"):
                if row[k] is not None:
                    d.metadata[k] = row[k]
            d.metadata["newsprep_simhash"] = row["simhash"]
            d.metadata["newsprep_removed"] = [
                {k: r[k] for k in ("start", "end", "reason", "rule", "text")} for r in row["removed"]
            ]
            self.stat_update("paragraphs_removed", value=row["paragraphs_removed"])
            self.update_doc_stats(d)
            yield d
