"""The kernel's call wrapper on a small test service: who may call, and what errors look like."""

from collections.abc import AsyncIterator

import grpc
import pytest
from kernel_support import KUNMING, SECRET, bearer, token

from anjian_kernel.auth import Role, current_principal
from anjian_kernel.errors import NotFound
from anjian_kernel.interceptors import KernelInterceptor

SERVICE = "kernel.test.v1.Probe"


async def who(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    """Answer with the verified caller's subject, tenant and role."""
    principal = current_principal()
    return f"{principal.subject}/{principal.tenant}/{principal.role.value}".encode()


async def missing(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    """Fail as a handler does for an unknown resource."""
    raise NotFound("no such probe")


async def broken(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    """Fail as a handler with a bug does."""
    raise RuntimeError("secret internals: password=hunter2")


async def countdown(
    request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    """Stream the caller's tenant three times."""
    for _ in range(3):
        yield current_principal().tenant.encode()


async def chat(
    requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[bytes, bytes]
) -> AsyncIterator[bytes]:
    """Echo every message of a client stream."""
    async for request in requests:
        yield request


@pytest.fixture(scope="module")
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    """A server with only the kernel's interceptor in front of the probe service."""
    server = grpc.aio.server(interceptors=[KernelInterceptor(SECRET, [KUNMING])])
    handlers = {
        "Who": grpc.unary_unary_rpc_method_handler(who),
        "Missing": grpc.unary_unary_rpc_method_handler(missing),
        "Broken": grpc.unary_unary_rpc_method_handler(broken),
        "Countdown": grpc.unary_stream_rpc_method_handler(countdown),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as connected:
        yield connected
    await server.stop(None)


def path(method: str) -> str:
    """The full gRPC path of a probe method."""
    return f"/{SERVICE}/{method}"


async def test_a_verified_caller_is_bound_for_the_handler(channel: grpc.aio.Channel) -> None:
    reply = await channel.unary_unary(path("Who"))(b"", metadata=bearer(token(Role.ADMIN)))
    assert reply == f"kernel-tester/{KUNMING}/admin".encode()


async def test_a_streaming_reply_needs_a_token_too(channel: grpc.aio.Channel) -> None:
    call = channel.unary_stream(path("Countdown"))(b"", metadata=bearer(token()))
    assert [reply async for reply in call] == [KUNMING.encode()] * 3

    refused = channel.unary_stream(path("Countdown"))(b"")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        [reply async for reply in refused]
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_call_without_a_token_never_reaches_the_handler(
    channel: grpc.aio.Channel,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await channel.unary_unary(path("Who"))(b"")
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_service_error_keeps_its_code(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await channel.unary_unary(path("Missing"))(b"", metadata=bearer(token()))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert error.value.details() == "no such probe"


async def test_a_bug_is_internal_and_hides_its_details(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await channel.unary_unary(path("Broken"))(b"", metadata=bearer(token()))
    assert error.value.code() == grpc.StatusCode.INTERNAL
    details = error.value.details() or ""
    assert "trace id" in details
    assert "hunter2" not in details


@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
async def test_a_client_streaming_method_is_refused_not_served_unauthenticated(
    channel: grpc.aio.Channel, with_token: bool
) -> None:
    metadata = bearer(token()) if with_token else None
    call = channel.stream_stream(path("Chat"))(iter([b"hello"]), metadata=metadata)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        [reply async for reply in call]
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED
