"""The README's Python examples run as written, from the repository's root."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_readme_python_examples_run_as_written(monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2, "the Python and the cluster examples"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "kept" in out and "decide 0 3 2" in out, out
