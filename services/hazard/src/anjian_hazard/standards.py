"""The national major-hazard criteria, as versioned checklists shipped with the service.

Each JSON file under `standards/` is one version of one checklist; a major
hazard records the checklist, its version and the item that made it major.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Standard:
    """One version of a national checklist."""

    standard: str
    version: str
    title: str
    items: dict[str, str]


@cache
def load_standards() -> dict[tuple[str, str], Standard]:
    """Every checklist version shipped, keyed by (standard, version)."""
    loaded: dict[tuple[str, str], Standard] = {}
    for entry in (resources.files(__package__) / "standards").iterdir():
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        standard = Standard(
            standard=data["standard"],
            version=data["standard_version"],
            title=data["title"],
            items={item["item"]: item["text"] for item in data["items"]},
        )
        loaded[(standard.standard, standard.version)] = standard
    return loaded


def criterion_text(standard: str, version: str, item: str) -> str | None:
    """The text of an item, or None if that standard, version or item does not exist."""
    found = load_standards().get((standard, version))
    return found.items.get(item) if found else None
