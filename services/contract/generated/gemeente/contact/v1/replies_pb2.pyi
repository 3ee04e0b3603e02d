import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gemeente.contact.v1 import contact_pb2 as _contact_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHOR_ROLE_UNSPECIFIED: _ClassVar[AuthorRole]
    AUTHOR_ROLE_WEBCARE: _ClassVar[AuthorRole]
    AUTHOR_ROLE_DEPARTMENT: _ClassVar[AuthorRole]

class ReplyVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_VISIBILITY_DEFAULT: _ClassVar[ReplyVisibility]
    REPLY_VISIBILITY_PUBLIC: _ClassVar[ReplyVisibility]
    REPLY_VISIBILITY_PRIVATE: _ClassVar[ReplyVisibility]

class ReplyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_STATE_UNSPECIFIED: _ClassVar[ReplyState]
    REPLY_STATE_QUEUED: _ClassVar[ReplyState]
    REPLY_STATE_SENT: _ClassVar[ReplyState]
    REPLY_STATE_DELIVERED: _ClassVar[ReplyState]
    REPLY_STATE_READ: _ClassVar[ReplyState]
    REPLY_STATE_FAILED: _ClassVar[ReplyState]

class ReplyFailure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_FAILURE_UNSPECIFIED: _ClassVar[ReplyFailure]
    REPLY_FAILURE_WINDOW_CLOSED: _ClassVar[ReplyFailure]
    REPLY_FAILURE_NO_REPLY_CHANNEL: _ClassVar[ReplyFailure]
    REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY: _ClassVar[ReplyFailure]
    REPLY_FAILURE_UNKNOWN_CONVERSATION: _ClassVar[ReplyFailure]
    REPLY_FAILURE_UNDELIVERABLE: _ClassVar[ReplyFailure]
    REPLY_FAILURE_UNSUPPORTED: _ClassVar[ReplyFailure]
    REPLY_FAILURE_TOKEN_INVALID: _ClassVar[ReplyFailure]
    REPLY_FAILURE_REFUSED: _ClassVar[ReplyFailure]
    REPLY_FAILURE_RETRIES_EXHAUSTED: _ClassVar[ReplyFailure]
    REPLY_FAILURE_OUTCOME_UNKNOWN: _ClassVar[ReplyFailure]
    REPLY_FAILURE_INVALID: _ClassVar[ReplyFailure]
    REPLY_FAILURE_PRIVATE_REPLY_USED: _ClassVar[ReplyFailure]
AUTHOR_ROLE_UNSPECIFIED: AuthorRole
AUTHOR_ROLE_WEBCARE: AuthorRole
AUTHOR_ROLE_DEPARTMENT: AuthorRole
REPLY_VISIBILITY_DEFAULT: ReplyVisibility
REPLY_VISIBILITY_PUBLIC: ReplyVisibility
REPLY_VISIBILITY_PRIVATE: ReplyVisibility
REPLY_STATE_UNSPECIFIED: ReplyState
REPLY_STATE_QUEUED: ReplyState
REPLY_STATE_SENT: ReplyState
REPLY_STATE_DELIVERED: ReplyState
REPLY_STATE_READ: ReplyState
REPLY_STATE_FAILED: ReplyState
REPLY_FAILURE_UNSPECIFIED: ReplyFailure
REPLY_FAILURE_WINDOW_CLOSED: ReplyFailure
REPLY_FAILURE_NO_REPLY_CHANNEL: ReplyFailure
REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY: ReplyFailure
REPLY_FAILURE_UNKNOWN_CONVERSATION: ReplyFailure
REPLY_FAILURE_UNDELIVERABLE: ReplyFailure
REPLY_FAILURE_UNSUPPORTED: ReplyFailure
REPLY_FAILURE_TOKEN_INVALID: ReplyFailure
REPLY_FAILURE_REFUSED: ReplyFailure
REPLY_FAILURE_RETRIES_EXHAUSTED: ReplyFailure
REPLY_FAILURE_OUTCOME_UNKNOWN: ReplyFailure
REPLY_FAILURE_INVALID: ReplyFailure
REPLY_FAILURE_PRIVATE_REPLY_USED: ReplyFailure

class ReplyTemplate(_message.Message):
    __slots__ = ("name", "language", "parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    language: str
    parameters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., language: _Optional[str] = ..., parameters: _Optional[_Iterable[str]] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("reply_id", "conversation_id", "in_reply_to", "author_role", "department", "staff_id", "text", "template", "created_at", "channel", "visibility")
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    IN_REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    reply_id: str
    conversation_id: str
    in_reply_to: str
    author_role: AuthorRole
    department: str
    staff_id: str
    text: str
    template: ReplyTemplate
    created_at: _timestamp_pb2.Timestamp
    channel: _contact_pb2.Channel
    visibility: ReplyVisibility
    def __init__(self, reply_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., in_reply_to: _Optional[str] = ..., author_role: _Optional[_Union[AuthorRole, str]] = ..., department: _Optional[str] = ..., staff_id: _Optional[str] = ..., text: _Optional[str] = ..., template: _Optional[_Union[ReplyTemplate, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[_Union[_contact_pb2.Channel, str]] = ..., visibility: _Optional[_Union[ReplyVisibility, str]] = ...) -> None: ...

class ReplyStatus(_message.Message):
    __slots__ = ("reply_id", "conversation_id", "channel", "state", "platform_message_id", "failure", "explanation", "at", "department", "author_role", "reply_created_at")
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    REPLY_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    reply_id: str
    conversation_id: str
    channel: _contact_pb2.Channel
    state: ReplyState
    platform_message_id: str
    failure: ReplyFailure
    explanation: str
    at: _timestamp_pb2.Timestamp
    department: str
    author_role: AuthorRole
    reply_created_at: _timestamp_pb2.Timestamp
    def __init__(self, reply_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., channel: _Optional[_Union[_contact_pb2.Channel, str]] = ..., state: _Optional[_Union[ReplyState, str]] = ..., platform_message_id: _Optional[str] = ..., failure: _Optional[_Union[ReplyFailure, str]] = ..., explanation: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., author_role: _Optional[_Union[AuthorRole, str]] = ..., reply_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendReplyRequest(_message.Message):
    __slots__ = ("reply",)
    REPLY_FIELD_NUMBER: _ClassVar[int]
    reply: Reply
    def __init__(self, reply: _Optional[_Union[Reply, _Mapping]] = ...) -> None: ...

class SendReplyResponse(_message.Message):
    __slots__ = ("reply_id", "state")
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    reply_id: str
    state: ReplyState
    def __init__(self, reply_id: _Optional[str] = ..., state: _Optional[_Union[ReplyState, str]] = ...) -> None: ...

class ReplyStatusRequest(_message.Message):
    __slots__ = ("reply_id",)
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    reply_id: str
    def __init__(self, reply_id: _Optional[str] = ...) -> None: ...

class ReplyStatusResponse(_message.Message):
    __slots__ = ("reply_id", "conversation_id", "state", "platform_message_id", "failure", "explanation")
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    reply_id: str
    conversation_id: str
    state: ReplyState
    platform_message_id: str
    failure: ReplyFailure
    explanation: str
    def __init__(self, reply_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., state: _Optional[_Union[ReplyState, str]] = ..., platform_message_id: _Optional[str] = ..., failure: _Optional[_Union[ReplyFailure, str]] = ..., explanation: _Optional[str] = ...) -> None: ...
