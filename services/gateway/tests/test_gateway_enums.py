"""The gateway's enums are written out for the type checker; `mirrors` keeps them true to
the protos, and the OpenAPI document lists the proto value names."""

from enum import StrEnum

import pytest

from anjian.hazard.v1 import hazard_pb2
from anjian_gateway.main import create_app
from anjian_gateway.resources import mirrors
from anjian_gateway.settings import GatewaySettings


def test_an_enum_that_drifts_from_its_proto_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match=r"does not mirror anjian\.hazard\.v1\.HazardGrade"):

        @mirrors(hazard_pb2.HazardGrade.DESCRIPTOR)
        class Grade(StrEnum):
            HAZARD_GRADE_UNSPECIFIED = "HAZARD_GRADE_UNSPECIFIED"
            HAZARD_GRADE_MAJOR = "HAZARD_GRADE_MAJOR"


def test_openapi_lists_the_proto_value_names() -> None:
    schemas = create_app(GatewaySettings()).openapi()["components"]["schemas"]

    assert schemas["HazardGrade"]["enum"] == [
        value.name for value in hazard_pb2.HazardGrade.DESCRIPTOR.values
    ]
    assert schemas["HazardState"]["type"] == "string"
    assert schemas["ListingState"]["enum"][1:] == [
        "LISTING_STATE_ACTIVE",
        "LISTING_STATE_EXPIRED",
        "LISTING_STATE_REPAIRED",
    ]
