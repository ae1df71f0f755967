"""Python values to and from the protobuf types every API uses (timestamps, dates, etags)."""

from datetime import date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date


def timestamp(instant: datetime | None) -> Timestamp | None:
    """A protobuf Timestamp, or None for no instant."""
    if instant is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def to_date(day: date | None) -> Date | None:
    """A google.type.Date, or None for no day."""
    return Date(year=day.year, month=day.month, day=day.day) if day else None


def from_date(message: Date) -> date:
    """A Python date from a google.type.Date (ValueError when impossible)."""
    return date(message.year, message.month, message.day)


def etag(version: int) -> str:
    """The concurrency token of a resource version."""
    return str(version)
