import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KccContactKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KCC_CONTACT_KIND_UNSPECIFIED: _ClassVar[KccContactKind]
    KCC_CONTACT_KIND_PHONE_CALL: _ClassVar[KccContactKind]
    KCC_CONTACT_KIND_COUNTER_VISIT: _ClassVar[KccContactKind]
KCC_CONTACT_KIND_UNSPECIFIED: KccContactKind
KCC_CONTACT_KIND_PHONE_CALL: KccContactKind
KCC_CONTACT_KIND_COUNTER_VISIT: KccContactKind

class SubmitRequest(_message.Message):
    __slots__ = ("request_id", "kind", "agent_id", "case_reference", "citizen_phone", "citizen_email", "citizen_name", "summary", "occurred_at", "suggested_department")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CITIZEN_PHONE_FIELD_NUMBER: _ClassVar[int]
    CITIZEN_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CITIZEN_NAME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    kind: KccContactKind
    agent_id: str
    case_reference: str
    citizen_phone: str
    citizen_email: str
    citizen_name: str
    summary: str
    occurred_at: _timestamp_pb2.Timestamp
    suggested_department: str
    def __init__(self, request_id: _Optional[str] = ..., kind: _Optional[_Union[KccContactKind, str]] = ..., agent_id: _Optional[str] = ..., case_reference: _Optional[str] = ..., citizen_phone: _Optional[str] = ..., citizen_email: _Optional[str] = ..., citizen_name: _Optional[str] = ..., summary: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suggested_department: _Optional[str] = ...) -> None: ...

class SubmitResponse(_message.Message):
    __slots__ = ("message_id", "conversation_id", "duplicate")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    conversation_id: str
    duplicate: bool
    def __init__(self, message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...
