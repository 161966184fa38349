"""The datatrove step on a small feed, run by datatrove's LocalPipelineExecutor."""

import gzip
import json

import pytest

datatrove = pytest.importorskip("datatrove")

from datatrove.executor import LocalPipelineExecutor  # noqa: E402
from datatrove.pipeline.readers import JsonlReader  # noqa: E402
from datatrove.pipeline.writers import JsonlWriter  # noqa: E402

from newsprep.datatrove import NewsprepCleaner  # noqa: E402

STORY = "The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter."
OTHER = "The town library will stay open until nine in the evening on weekdays from next month, the trustees decided at their meeting."


def read(folder):
    out = []
    for f in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as g:
            out.extend(json.loads(line) for line in g)
    return out


def test_the_step_cleans_a_feed_under_the_local_executor(tmp_path):
    feed = tmp_path / "in"
    feed.mkdir()
    records = [
        {"id": "a", "text": f"{STORY}\n\nShare this on Facebook", "metadata": {"url": "https://gazette.example/a"}},
        {"id": "b", "text": f"{STORY}\n\nShare this on Facebook", "metadata": {}},
        {"id": "c", "text": f"{OTHER}\n\nFollow us on Twitter", "metadata": {}},
    ]
    (feed / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out, excluded = tmp_path / "out", tmp_path / "excluded"
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(feed)),
            NewsprepCleaner({"dedup": {"document": {"action": "drop"}}}, exclusion_writer=JsonlWriter(str(excluded))),
            JsonlWriter(str(out)),
        ],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    kept = {r["id"]: r for r in read(out)}
    assert sorted(kept) == ["a", "c"]
    assert kept["a"]["text"] == STORY
    assert kept["c"]["text"] == OTHER
    assert kept["a"]["metadata"]["newsprep_removed"][0]["text"] == "Share this on Facebook"
    assert kept["a"]["metadata"]["url"] == "https://gazette.example/a", "the document's metadata stays"
    [dup] = read(excluded)
    assert (dup["id"], dup["metadata"]["newsprep_status"]) == ("b", "duplicate")
    assert "near-duplicate of a" in dup["metadata"]["newsprep_message"] or "duplicate of a" in dup["metadata"]["newsprep_message"]
