"""A bound on request bodies, so one request cannot hold megabytes of the gateway's memory.

No body the API documents comes near the bound (the largest, an import of a thousand
enterprises, is a few hundred kilobytes). A declared `Content-Length` over it is refused
before anything is read; a chunked body is counted as it arrives and refused as soon as
it passes the bound.
"""

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """The body read so far already exceeds the bound.

    An HTTPException, so FastAPI, which turns any other failure to read a body into a 400,
    lets it through to its handler and answers 413 with `{"detail": ...}`.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {max_bytes} bytes")


class BodyLimit:
    """ASGI middleware answering 413 to a request whose body exceeds `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._refuse(send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Read outside a route's own body parsing, so no handler answered it.
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        detail = {"detail": BodyTooLarge(self.max_bytes).detail}
        body = json.dumps(detail, separators=(",", ":")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int:
    """The declared `Content-Length`, or 0 (a malformed one is the HTTP server's to refuse)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
