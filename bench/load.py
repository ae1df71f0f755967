"""The benchmark's load: gRPC callers and a JetStream consumer, each in a process of its own.

Both run their own event loop in a child process so that neither steals the servers'
loops nor the orchestrator's; the orchestrator talks to them over a pipe.
"""

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import grpc
import nats
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.identifiers import compose_credit_code
from anjian_kernel.tenancy import counties

CALL_TIMEOUT = 30.0
COLLECT_TIMEOUT = 30.0
ENTERPRISES = 400
TITLES = [
    ("配电柜接地线松脱", "二号车间配电柜接地线松脱，存在触电风险"),
    ("消防通道堆放杂物", "仓库东侧消防通道堆放纸箱，影响疏散"),
    ("灭火器压力不足", "一楼走廊三具灭火器压力表指针位于红区"),
    ("有限空间作业未审批", "污水池清淤作业未办理有限空间作业审批"),
    ("叉车司机无证驾驶", "成品库叉车司机未持特种设备作业人员证"),
    ("危化品储存超量", "甲类仓库储存量超过设计最大储量"),
    ("安全出口指示灯损坏", "三楼安全出口指示灯不亮"),
    ("粉尘清扫不及时", "打磨工位积尘厚度超过规定"),
]
LOCATIONS = ["一号车间", "二号车间", "原料仓库", "成品库", "锅炉房", "污水处理站"]
INDUSTRIES = ["industry-trade", "chemicals", "construction", "other"]


@dataclass(frozen=True)
class Drive:
    """One load run: `callers` concurrent callers of `method` at `address` for `seconds`.

    With `rate` 0 each caller calls again as soon as its reply arrives (closed loop);
    otherwise the callers together start `rate` calls a second.
    """

    address: str
    method: str
    callers: int
    seconds: float
    rate: float = 0.0
    record: bool = False


@dataclass
class Round:
    """What one load run measured."""

    calls: int
    elapsed: float
    latencies: list[float]
    errors: dict[str, int]
    replies: list[tuple[str, float, float]] = field(default_factory=list)
    """With `record`: (hazard name, wall time the reply arrived, its create_time)."""


class Reports:
    """Plausible hazard reports in one prefecture, each with its own request_id."""

    def __init__(self, tenant: str, seed: int = 2026) -> None:
        self._tenant = tenant
        self._random = random.Random(seed)
        codes = sorted(counties(tenant))
        self._enterprises = [
            (compose_credit_code("91", county, f"B{number:07d}"), county)
            for number, county in zip(range(ENTERPRISES), itertools.cycle(codes), strict=False)
        ]

    def next(self) -> hazard_pb2.ReportHazardRequest:
        """A new report of a hazard found just now."""
        code, county = self._random.choice(self._enterprises)
        title, description = self._random.choice(TITLES)
        hazard = hazard_pb2.Hazard(
            enterprise_credit_code=code,
            enterprise_name=f"昆明测试企业{code[-6:]}有限公司",
            county_code=county,
            title=title,
            description=description,
            location=self._random.choice(LOCATIONS),
            industry=self._random.choice(INDUSTRIES),
        )
        return hazard_pb2.ReportHazardRequest(
            parent=f"prefectures/{self._tenant}", hazard=hazard, request_id=str(uuid.uuid4())
        )


def run_callers(control: Connection, tenant: str, token: str) -> None:
    """Child process: run each Drive received on `control`, send back its Round; None stops."""
    asyncio.run(_serve_drives(control, tenant, token))


async def _serve_drives(control: Connection, tenant: str, token: str) -> None:
    channels: dict[str, grpc.aio.Channel] = {}
    reports = Reports(tenant)
    metadata = (("authorization", f"Bearer {token}"),)
    while (drive := await asyncio.to_thread(control.recv)) is not None:
        if drive.address not in channels:
            channels[drive.address] = grpc.aio.insecure_channel(drive.address)
        control.send(await _drive(channels[drive.address], drive, reports, metadata))
    for channel in channels.values():
        await channel.close()


async def _drive(
    channel: grpc.aio.Channel,
    drive: Drive,
    reports: Reports,
    metadata: tuple[tuple[str, str], ...],
) -> Round:
    call = channel.unary_unary(
        drive.method,
        request_serializer=hazard_pb2.ReportHazardRequest.SerializeToString,
        response_deserializer=hazard_pb2.Hazard.FromString,
    )
    latencies: list[float] = []
    replies: list[tuple[str, float, float]] = []
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    deadline = started + drive.seconds
    interval = drive.callers / drive.rate if drive.rate else 0.0

    async def caller(offset: float) -> None:
        next_start = started + offset
        while True:
            if interval:
                await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
                next_start += interval
            if time.perf_counter() >= deadline:
                return
            sent = time.perf_counter()
            try:
                reply = await call(reports.next(), metadata=metadata, timeout=CALL_TIMEOUT)
            except grpc.aio.AioRpcError as error:
                errors[error.code().name] += 1
                continue
            latencies.append(time.perf_counter() - sent)
            if drive.record:
                created = reply.create_time.ToMicroseconds() / 1e6
                replies.append((reply.name, time.time(), created))

    await asyncio.gather(*(caller(i * interval / drive.callers) for i in range(drive.callers)))
    return Round(len(latencies), time.perf_counter() - started, latencies, dict(errors), replies)


def run_consumer(control: Connection, nats_url: str, subject: str) -> None:
    """Child process: note when each hazard's event on `subject` arrives.

    Sends "ready" once subscribed; then for each list of hazard names received on
    `control` it waits (up to COLLECT_TIMEOUT) for their events and sends back
    {name: wall time received}; None stops it.
    """
    asyncio.run(_consume(control, nats_url, subject))


async def _consume(control: Connection, nats_url: str, subject: str) -> None:
    client = await nats.connect(nats_url, name="anjian-bench-consumer")
    received: dict[str, float] = {}
    awaited: set[str] = set()
    complete = asyncio.Event()

    async def on_message(message: Msg) -> None:
        arrived = time.time()
        name = HazardEvent.FromString(message.data).hazard.name
        received.setdefault(name, arrived)
        awaited.discard(name)
        if not awaited:
            complete.set()

    # An ordered consumer (ephemeral, no acks) that starts at the stream's end.
    subscription = await client.jetstream().subscribe(
        subject, cb=on_message, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )
    control.send("ready")
    while (names := await asyncio.to_thread(control.recv)) is not None:
        awaited.update(name for name in names if name not in received)
        complete.clear()
        if awaited:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(complete.wait(), COLLECT_TIMEOUT)
        awaited.clear()
        control.send({name: received[name] for name in names if name in received})
    await subscription.unsubscribe()
    await client.close()
