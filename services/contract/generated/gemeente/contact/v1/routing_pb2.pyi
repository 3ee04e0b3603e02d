import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gemeente.contact.v1 import contact_pb2 as _contact_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClassifyRequest(_message.Message):
    __slots__ = ("text", "subject", "channel")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    text: str
    subject: str
    channel: _contact_pb2.Channel
    def __init__(self, text: _Optional[str] = ..., subject: _Optional[str] = ..., channel: _Optional[_Union[_contact_pb2.Channel, str]] = ...) -> None: ...

class ClassifyResponse(_message.Message):
    __slots__ = ("department", "triage", "confidence", "top", "reasons", "priority", "language", "method", "category")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    TRIAGE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    department: str
    triage: bool
    confidence: float
    top: _containers.RepeatedCompositeFieldContainer[_contact_pb2.DepartmentScore]
    reasons: _containers.RepeatedScalarFieldContainer[str]
    priority: _contact_pb2.Priority
    language: str
    method: _contact_pb2.RoutingMethod
    category: str
    def __init__(self, department: _Optional[str] = ..., triage: _Optional[bool] = ..., confidence: _Optional[float] = ..., top: _Optional[_Iterable[_Union[_contact_pb2.DepartmentScore, _Mapping]]] = ..., reasons: _Optional[_Iterable[str]] = ..., priority: _Optional[_Union[_contact_pb2.Priority, str]] = ..., language: _Optional[str] = ..., method: _Optional[_Union[_contact_pb2.RoutingMethod, str]] = ..., category: _Optional[str] = ...) -> None: ...

class RerouteRequest(_message.Message):
    __slots__ = ("message_id", "department", "staff_id", "note", "category")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    department: str
    staff_id: str
    note: str
    category: str
    def __init__(self, message_id: _Optional[str] = ..., department: _Optional[str] = ..., staff_id: _Optional[str] = ..., note: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class RerouteResponse(_message.Message):
    __slots__ = ("routed", "previous_destination")
    ROUTED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DESTINATION_FIELD_NUMBER: _ClassVar[int]
    routed: _contact_pb2.RoutedMessage
    previous_destination: str
    def __init__(self, routed: _Optional[_Union[_contact_pb2.RoutedMessage, _Mapping]] = ..., previous_destination: _Optional[str] = ...) -> None: ...

class Correction(_message.Message):
    __slots__ = ("message_id", "conversation_id", "channel", "previous_destination", "department", "staff_id", "note", "text", "subject", "corrected_at", "previous_category", "category")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CORRECTED_AT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    conversation_id: str
    channel: _contact_pb2.Channel
    previous_destination: str
    department: str
    staff_id: str
    note: str
    text: str
    subject: str
    corrected_at: _timestamp_pb2.Timestamp
    previous_category: str
    category: str
    def __init__(self, message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., channel: _Optional[_Union[_contact_pb2.Channel, str]] = ..., previous_destination: _Optional[str] = ..., department: _Optional[str] = ..., staff_id: _Optional[str] = ..., note: _Optional[str] = ..., text: _Optional[str] = ..., subject: _Optional[str] = ..., corrected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., previous_category: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...
