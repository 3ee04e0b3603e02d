import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HandledAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDLED_ACTION_UNSPECIFIED: _ClassVar[HandledAction]
    HANDLED_ACTION_FIRST_REPLY: _ClassVar[HandledAction]
    HANDLED_ACTION_CLOSED: _ClassVar[HandledAction]
    HANDLED_ACTION_HANDED_OVER: _ClassVar[HandledAction]
HANDLED_ACTION_UNSPECIFIED: HandledAction
HANDLED_ACTION_FIRST_REPLY: HandledAction
HANDLED_ACTION_CLOSED: HandledAction
HANDLED_ACTION_HANDED_OVER: HandledAction

class HandledEvent(_message.Message):
    __slots__ = ("event_id", "conversation_id", "message_id", "department", "action", "to_department", "occurred_at", "handler_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TO_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    HANDLER_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    conversation_id: str
    message_id: str
    department: str
    action: HandledAction
    to_department: str
    occurred_at: _timestamp_pb2.Timestamp
    handler_id: str
    def __init__(self, event_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., department: _Optional[str] = ..., action: _Optional[_Union[HandledAction, str]] = ..., to_department: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., handler_id: _Optional[str] = ...) -> None: ...

class ReportHandledRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: HandledEvent
    def __init__(self, event: _Optional[_Union[HandledEvent, _Mapping]] = ...) -> None: ...

class ReportHandledResponse(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...
