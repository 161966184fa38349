"""The Python package against the command line: same text, every record answered, typed errors."""

import json
import pathlib
import subprocess
import threading

import pyarrow as pa
import pytest

import newsprep

ROOT = pathlib.Path(__file__).resolve().parents[2]
STORY = "The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter."

LIBRARY = "The town library will stay open until nine in the evening on weekdays from next month, the trustees decided."


def samples():
    return [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in sorted((ROOT / "raw").glob("*.txt"))]


def test_the_sample_articles_come_out_as_the_command_line_cleans_them():
    rows = newsprep.Cleaner(ROOT / "pipeline.toml").clean(samples())
    corpus = {}
    with open(ROOT / "cleaned" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            corpus[r["id"]] = r
    assert [r["id"] for r in rows] == sorted(corpus)
    for row in rows:
        cli = corpus[row["id"]]
        assert row["status"] == "kept"
        assert row["text"] == cli["text"]
        assert (row["title"], row["author"], row["published"]) == (cli["title"], cli["author"], cli["published"])
        assert row["simhash"] == cli["simhash"]
        assert [(r["start"], r["end"], r["reason"], r["rule"]) for r in row["removed"]] == [
            (r["start"], r["end"], r["reason"], r.get("rule")) for r in cli["removed"]
        ]


def test_every_record_gets_a_row_that_says_what_became_of_it():
    cleaner = newsprep.Cleaner({"dedup": {"document": {"action": "drop"}}})
    rows = cleaner.clean([
        {"id": "a", "text": STORY + "\n\n" + STORY.replace("Tuesday", "Monday")},
        {"id": "b", "text": STORY + "\n\n" + STORY.replace("Tuesday", "Monday")},
        {"id": "a", "text": "another record with a taken id"},
        {"id": "c", "text": "   "},
        {"id": "d", "html": f"<html><body><nav><a href=/>Home</a></nav><article><p>{LIBRARY}</p></article></body></html>"},
        {"id": "e", "title": "no text at all"},
    ])
    assert [(r["id"], r["status"]) for r in rows] == [
        ("a", "kept"), ("b", "duplicate"), ("a", "error"), ("c", "empty"), ("d", "kept"), ("e", "error"),
    ]
    assert rows[1]["duplicate_of"] == "a" and rows[1]["text"] is None
    assert "already taken" in rows[2]["message"]
    assert rows[4]["text"] == LIBRARY, "an html field is read as a page: the menu is gone"
    assert rows[4]["removed"][0]["text"] == "Home"
    assert "no `text` field" in rows[5]["message"]


def test_a_bad_config_raises_a_config_error_with_the_command_lines_message(tmp_path):
    with pytest.raises(newsprep.ConfigError, match=r"dedup\.paragraph\.max-distance.*out of range"):
        newsprep.Cleaner({"dedup": {"paragraph": {"max-distance": 99}}})
    bad = tmp_path / "pipeline.toml"
    bad.write_text("[dedup.paragraph]\nmax-distance = 99\n[nope]\nx = 1\n")
    with pytest.raises(newsprep.ConfigError) as e:
        newsprep.Cleaner(bad)
    cli = subprocess.run(
        ["cargo", "run", "--quiet", "--manifest-path", str(ROOT / "Cargo.toml"), "--", "explain", "--config", str(bad),
         str(ROOT / "raw")],
        capture_output=True, text=True,
    )
    assert cli.returncode == 2
    assert str(e.value) in cli.stderr, (str(e.value), cli.stderr)
    with pytest.raises(newsprep.ConfigError, match="cannot read config"):
        newsprep.Cleaner(tmp_path / "missing.toml")
    assert issubclass(newsprep.ConfigError, newsprep.NewsprepError)


def test_an_arrow_batch_gives_an_arrow_batch_with_the_same_rows():
    records = samples()
    batch = pa.RecordBatch.from_pylist(records)
    cleaner = newsprep.Cleaner(ROOT / "pipeline.toml")
    out = cleaner.clean(batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.schema.names == list(newsprep.ROW_FIELDS)
    assert out.to_pylist() == cleaner.clean(records)
    with pytest.raises(TypeError, match="list of dicts or a pyarrow RecordBatch"):
        cleaner.clean("not a batch")


def test_batches_clean_in_parallel_threads_with_the_same_result():
    cleaner = newsprep.Cleaner(ROOT / "pipeline.toml", jobs=1)
    expected = cleaner.clean(samples())
    results = [None] * 4

    def work(i):
        results[i] = cleaner.clean(samples())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_the_package_ships_its_type_stubs():
    package = pathlib.Path(newsprep.__file__).parent
    assert (package / "py.typed").exists()
    assert "class Cleaner" in (package / "__init__.pyi").read_text()
