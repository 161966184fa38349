import os
from collections.abc import Mapping
from typing import Any, Literal, TypedDict, overload

__version__: str
ROW_FIELDS: tuple[str, ...]
REMOVED_FIELDS: tuple[str, ...]

class NewsprepError(Exception): ...
class ConfigError(NewsprepError): ...
class CleanError(NewsprepError): ...

class Removed(TypedDict):
    paragraph: int
    start: int
    end: int
    reason: str
    rule: str | None
    category: str | None
    field: str | None
    why: str | None
    score: float | None
    duplicate_of: str | None
    distance: int | None
    similarity: float | None
    text: str

class Row(TypedDict):
    id: str
    line: int | None
    status: Literal["kept", "duplicate", "empty", "error", "skipped"]
    message: str | None
    duplicate_of: str | None
    distance: int | None
    text: str | None
    title: str | None
    author: str | None
    published: str | None
    site: str | None
    dateline: str | None
    simhash: str | None
    paragraphs_kept: int
    paragraphs_removed: int
    removed: list[Removed]

class Cleaner:
    def __init__(
        self,
        config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        *,
        jobs: int = 0,
        dedup_window: int = 0,
    ) -> None: ...
    @overload
    def clean(self, batch: list[Mapping[str, Any]]) -> list[Row]: ...
    @overload
    def clean(self, batch: Any) -> Any: ...

def config_text(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> tuple[str, str]: ...
