"""The national major-accident-hazard criteria shipped as reference data.

Every JSON file in anjian_hazard/standards/ is one versioned checklist. These tests keep the
files loadable and well formed: required keys, item codes unique and in the standard's pattern,
no empty texts, and the item counts the standards themselves state.
"""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

STANDARDS_DIR = Path(__file__).resolve().parents[1] / "src" / "anjian_hazard" / "standards"

TOP_LEVEL_KEYS = {
    "standard",
    "standard_version",
    "title",
    "issued_by",
    "effective_date",
    "source_note",
    "items",
}
ITEM_KEYS = {"item", "section", "text"}

# The code pattern of each standard's items, keyed by the file's "standard" field.
CODE_PATTERNS = {
    "industry-trade": re.compile(r"^IT-(?P<version>\d{4})-\d{2}$"),
    "chemicals": re.compile(r"^CH-(?P<version>\d{4})-\d{2}$"),
    "mines": re.compile(r"^MN-(?P<version>\d{4})-[UOT]\d{2}$"),
}

# Item counts the standards state: 64 situations in 应急管理部令第10号, 20 in
# 安监总管三〔2017〕121号, 64 in 矿安〔2022〕88号 (32 underground, 13 open-pit, 19 tailings).
EXPECTED_COUNTS = {
    "industry-trade-2023.json": 64,
    "chemicals-2017.json": 20,
    "mines-2022.json": 64,
}
EXPECTED_SECTION_COUNTS = {
    "industry-trade-2023.json": {
        "通用": 3,
        "冶金": 8,
        "有色": 13,
        "建材": 8,
        "机械": 7,
        "轻工": 7,
        "纺织": 2,
        "烟草": 2,
        "粉尘爆炸": 10,
        "使用液氨制冷": 2,
        "有限空间作业": 2,
    },
    "chemicals-2017.json": {"通用": 20},
    "mines-2022.json": {"地下矿山": 32, "露天矿山": 13, "尾矿库": 19},
}
MINES_SECTION_LETTER = {"地下矿山": "U", "露天矿山": "O", "尾矿库": "T"}

STANDARD_FILES = sorted(STANDARDS_DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level is not an object"
    return data


def test_the_standards_folder_holds_the_expected_files() -> None:
    names = {path.name for path in STANDARD_FILES}
    assert set(EXPECTED_COUNTS) <= names


@pytest.mark.parametrize("path", STANDARD_FILES, ids=lambda path: path.name)
def test_top_level_keys_are_present_and_filled(path: Path) -> None:
    data = load(path)
    missing = TOP_LEVEL_KEYS - data.keys()
    assert not missing, f"{path.name}: missing keys {sorted(missing)}"
    for key in TOP_LEVEL_KEYS - {"items"}:
        assert isinstance(data[key], str), f"{path.name}: {key} is not a string"
        assert data[key].strip(), f"{path.name}: {key} is empty"
    assert data["standard"] in CODE_PATTERNS, f"{path.name}: unknown standard {data['standard']}"
    assert re.fullmatch(r"\d{4}", data["standard_version"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["effective_date"])
    assert path.name == f"{data['standard']}-{data['standard_version']}.json"
    assert isinstance(data["items"], list)
    assert data["items"], f"{path.name}: no items"


@pytest.mark.parametrize("path", STANDARD_FILES, ids=lambda path: path.name)
def test_items_have_required_keys_and_non_empty_texts(path: Path) -> None:
    for item in load(path)["items"]:
        assert isinstance(item, dict)
        missing = ITEM_KEYS - item.keys()
        assert not missing, f"{path.name}: {item.get('item')} lacks {sorted(missing)}"
        for key in ITEM_KEYS:
            assert isinstance(item[key], str), f"{path.name}: {item['item']}.{key} not a string"
            assert item[key].strip(), f"{path.name}: {item['item']}.{key} is empty"
        if "paraphrased" in item:
            assert isinstance(item["paraphrased"], bool)


@pytest.mark.parametrize("path", STANDARD_FILES, ids=lambda path: path.name)
def test_item_codes_are_unique_and_follow_the_pattern(path: Path) -> None:
    data = load(path)
    pattern = CODE_PATTERNS[data["standard"]]
    codes = [item["item"] for item in data["items"]]
    duplicates = [code for code, count in Counter(codes).items() if count > 1]
    assert not duplicates, f"{path.name}: duplicate codes {duplicates}"
    for code in codes:
        match = pattern.fullmatch(code)
        assert match, f"{path.name}: {code} does not match {pattern.pattern}"
        assert match["version"] == data["standard_version"], f"{path.name}: {code} version"


@pytest.mark.parametrize("path", STANDARD_FILES, ids=lambda path: path.name)
def test_items_are_numbered_in_order(path: Path) -> None:
    """Codes run 01, 02, ... in file order (per section letter for the mines standard)."""
    data = load(path)
    next_number: Counter[str] = Counter()
    for item in data["items"]:
        code = item["item"]
        series = code[-3] if data["standard"] == "mines" else ""
        if data["standard"] == "mines":
            assert series == MINES_SECTION_LETTER[item["section"]], f"{code} in {item['section']}"
        next_number[series] += 1
        assert int(code[-2:]) == next_number[series], f"{path.name}: {code} out of order"


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_item_counts_match_the_standards(name: str) -> None:
    data = load(STANDARDS_DIR / name)
    assert len(data["items"]) == EXPECTED_COUNTS[name]
    sections = Counter(item["section"] for item in data["items"])
    assert dict(sections) == EXPECTED_SECTION_COUNTS[name]
