"""What every API route needs: the caller's token, the upstream channels, common parameters.

The gateway reads no claim of the token: it only checks that one was sent, in a form
that can travel as gRPC metadata, and passes it on for the service to verify.
"""

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from anjian_gateway.bodies import INT32_MAX, PLAIN
from anjian_gateway.errors import unauthenticated
from anjian_gateway.settings import TOKEN_SHAPE
from anjian_gateway.upstream import CreditUpstream, HazardUpstream, Metadata

_bearer = HTTPBearer(
    auto_error=False,
    description="A token issued for the caller's prefecture (tenant); the services verify it.",
)


async def caller_metadata(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Metadata:
    """The gRPC metadata that carries the caller's bearer token on to the service."""
    if credentials is None:
        raise unauthenticated("send the header `Authorization: Bearer <token>`")
    if not TOKEN_SHAPE.match(credentials.credentials):
        raise unauthenticated("the bearer token is malformed")
    return (("authorization", f"Bearer {credentials.credentials}"),)


def upstream(request: Request) -> HazardUpstream:
    """The app's channel to the hazard service."""
    channel: HazardUpstream = request.app.state.upstream
    return channel


def credit_upstream(request: Request) -> CreditUpstream:
    """The app's channel to the credit service."""
    channel: CreditUpstream = request.app.state.credit
    return channel


Caller = Annotated[Metadata, Depends(caller_metadata)]
Service = Annotated[HazardUpstream, Depends(upstream)]
Credit = Annotated[CreditUpstream, Depends(credit_upstream)]
Prefecture = Annotated[
    str,
    Path(
        pattern=r"^\d{6}$",
        description="GB/T 2260 code of the prefecture (州/市): the tenant of the caller's token.",
        examples=["530100"],
    ),
]
PageSize = Annotated[
    int, Query(ge=0, le=INT32_MAX, description="At most this many (0: the service's default).")
]
PageToken = Annotated[
    str, Query(max_length=1000, description="`next_page_token` of the previous page."), PLAIN
]


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str = Field(description="The reason, from the service where it decided.")
    status: str = Field(description="The gRPC status code name, e.g. `ABORTED`.")
    violations: list[dict[str, str]] | None = Field(
        default=None, description="For a failed precondition: its type, subject and description."
    )


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The request body could not be read: it is not UTF-8 text."},
    401: _problem("No bearer token, or the service did not accept it."),
    403: _problem("The token's role or scope does not allow this."),
    404: _problem("No such resource in the caller's prefecture (also for another tenant's)."),
    409: _problem(
        "A stale etag (ABORTED: read again and retry), a step out of order "
        "(FAILED_PRECONDITION) or a duplicate (ALREADY_EXISTS)."
    ),
    503: _problem("The service behind the route is unavailable or did not answer in time."),
}
