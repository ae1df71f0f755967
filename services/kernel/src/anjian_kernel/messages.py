"""Python values to and from the protobuf types every API uses (timestamps, dates, etags),
and the one normalisation every request gets."""

from datetime import date, datetime

from google.protobuf.message import Message
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


def trim_strings(message: Message) -> None:
    """Drop the whitespace around every string of a request, nested messages included.

    Done once, before any handler, so that what is checked (required, at most N
    characters) is what is stored, and " 一号车间 " names the same place as "一号车间".
    Whitespace inside a text is kept.
    """
    for field, value in message.ListFields():
        if field.type == field.TYPE_STRING:
            if field.is_repeated:
                value[:] = [text.strip() for text in value]
            elif value != value.strip():
                setattr(message, field.name, value.strip())
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for item in value if field.is_repeated else [value]:
                trim_strings(item)
