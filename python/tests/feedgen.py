"""A generated scraped feed for the sharded-run tests: sites with their furniture lines (learned
as site boilerplate), fresh stories, syndicated copies with small edits, exact copies, reused
paragraphs, and a few bad records (a broken line, an id given twice, an empty text). Seeded, so
every run writes the same bytes."""

from __future__ import annotations

import json
import pathlib
import random

WORDS = (
    "council harbour bridge storm winter ferry market river valley school hospital library road rail "
    "farmers growers apricot frost loans storage port authority channel ships tide vessel yard crossing "
    "weekday evening residents petition exam season engineers beams inspection trains repairs spring "
    "ward families capital mayor budget taxes housing rents tenants landlords court judge ruling appeal "
    "police station officers night patrol festival quay traders takings museum exhibition artists gallery "
    "minister report water supply drought reservoir rainfall forecast wind power turbines grid prices "
    "workers union strike talks wages hours contract factory orders exports shipping containers delays"
).split()
GLUE = "the a of to in on for with after before while said says will would could has have was were".split()
SITES = ("harbourtimes", "valleypost", "metrodaily", "coastwire")


def _sentence(rng: random.Random) -> str:
    n = rng.randint(12, 24)
    words = [rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(GLUE) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def _edit(rng: random.Random, p: str) -> str:
    words = p.split()
    for _ in range(rng.randint(0, 2)):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def records(n: int = 2000, seed: int = 1) -> list[str]:
    """The feed's lines (JSON records, and one broken line)."""
    rng = random.Random(seed)
    stories: list[list[str]] = []
    lines = []
    for i in range(n):
        site = SITES[rng.randrange(len(SITES))]
        r = rng.random()
        if stories and r < 0.12:  # syndicated: an earlier story with small edits, maybe shortened
            src = rng.choice(stories[-300:])
            body = [_edit(rng, p) for p in src[: max(2, len(src) - rng.randint(0, 1))]]
        elif stories and r < 0.15:  # the same story scraped again
            body = list(rng.choice(stories))
        elif stories and r < 0.25:  # fresh reporting that reuses an earlier paragraph
            body = [_paragraph(rng) for _ in range(rng.randint(2, 4))] + [rng.choice(rng.choice(stories))]
        else:
            body = [_paragraph(rng) for _ in range(rng.randint(3, 7))]
        stories.append(body)
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        text = "\n\n".join(
            [title, f"Subscribe to the {site} newsletter", *body, f"Follow {site} on social media",
             f"All rights reserved by {site} media"]
        )
        rid = f"a{i:05d}"
        if i == 700:
            lines.append('{"id": "broken", "text": ')
            continue
        if i == 900:
            rid = "a00100"  # taken by an earlier record
        if i == 1100:
            text = ""
        lines.append(json.dumps({"id": rid, "site": site, "url": f"https://{site}.example/{i}", "text": text}))
    return lines


def write(path: pathlib.Path, n: int = 2000, seed: int = 1) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(records(n, seed)) + "\n", encoding="utf-8")
    return path
