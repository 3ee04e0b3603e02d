import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpikeAlert(_message.Message):
    __slots__ = ("alert_id", "department", "theme", "count", "baseline", "window_seconds", "example_message_ids", "detected_at", "category")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLE_MESSAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    department: str
    theme: str
    count: int
    baseline: float
    window_seconds: int
    example_message_ids: _containers.RepeatedScalarFieldContainer[str]
    detected_at: _timestamp_pb2.Timestamp
    category: str
    def __init__(self, alert_id: _Optional[str] = ..., department: _Optional[str] = ..., theme: _Optional[str] = ..., count: _Optional[int] = ..., baseline: _Optional[float] = ..., window_seconds: _Optional[int] = ..., example_message_ids: _Optional[_Iterable[str]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., category: _Optional[str] = ...) -> None: ...
