import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_WHATSAPP: _ClassVar[Channel]
    CHANNEL_WEBFORM: _ClassVar[Channel]
    CHANNEL_TWITTER: _ClassVar[Channel]
    CHANNEL_FACEBOOK: _ClassVar[Channel]
    CHANNEL_INSTAGRAM: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]
    CHANNEL_KCC: _ClassVar[Channel]

class RoutingMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_METHOD_UNSPECIFIED: _ClassVar[RoutingMethod]
    ROUTING_METHOD_RULE: _ClassVar[RoutingMethod]
    ROUTING_METHOD_MODEL: _ClassVar[RoutingMethod]
    ROUTING_METHOD_STICKY: _ClassVar[RoutingMethod]
    ROUTING_METHOD_MANUAL: _ClassVar[RoutingMethod]
    ROUTING_METHOD_NONE: _ClassVar[RoutingMethod]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_NORMAL: _ClassVar[Priority]
    PRIORITY_HIGH: _ClassVar[Priority]
    PRIORITY_URGENT: _ClassVar[Priority]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_WHATSAPP: Channel
CHANNEL_WEBFORM: Channel
CHANNEL_TWITTER: Channel
CHANNEL_FACEBOOK: Channel
CHANNEL_INSTAGRAM: Channel
CHANNEL_EMAIL: Channel
CHANNEL_KCC: Channel
ROUTING_METHOD_UNSPECIFIED: RoutingMethod
ROUTING_METHOD_RULE: RoutingMethod
ROUTING_METHOD_MODEL: RoutingMethod
ROUTING_METHOD_STICKY: RoutingMethod
ROUTING_METHOD_MANUAL: RoutingMethod
ROUTING_METHOD_NONE: RoutingMethod
PRIORITY_UNSPECIFIED: Priority
PRIORITY_NORMAL: Priority
PRIORITY_HIGH: Priority
PRIORITY_URGENT: Priority

class Location(_message.Message):
    __slots__ = ("latitude", "longitude", "name", "address")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    name: str
    address: str
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., name: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class Attachment(_message.Message):
    __slots__ = ("kind", "mime_type", "file_name", "size_bytes", "reference", "caption")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    kind: str
    mime_type: str
    file_name: str
    size_bytes: int
    reference: str
    caption: str
    def __init__(self, kind: _Optional[str] = ..., mime_type: _Optional[str] = ..., file_name: _Optional[str] = ..., size_bytes: _Optional[int] = ..., reference: _Optional[str] = ..., caption: _Optional[str] = ...) -> None: ...

class ContactMessage(_message.Message):
    __slots__ = ("id", "channel", "channel_message_id", "conversation_id", "received_at", "sent_at", "author_id", "display_name", "subject", "text", "attachments", "location", "language", "in_reply_to", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    IN_REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    channel: Channel
    channel_message_id: str
    conversation_id: str
    received_at: _timestamp_pb2.Timestamp
    sent_at: _timestamp_pb2.Timestamp
    author_id: str
    display_name: str
    subject: str
    text: str
    attachments: _containers.RepeatedCompositeFieldContainer[Attachment]
    location: Location
    language: str
    in_reply_to: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., channel_message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., author_id: _Optional[str] = ..., display_name: _Optional[str] = ..., subject: _Optional[str] = ..., text: _Optional[str] = ..., attachments: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., language: _Optional[str] = ..., in_reply_to: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DepartmentScore(_message.Message):
    __slots__ = ("department", "score", "category")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    department: str
    score: float
    category: str
    def __init__(self, department: _Optional[str] = ..., score: _Optional[float] = ..., category: _Optional[str] = ...) -> None: ...

class RoutingDecision(_message.Message):
    __slots__ = ("department", "confidence", "method", "reasons", "candidates", "triage", "priority", "category", "model_version")
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    TRIAGE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    department: str
    confidence: float
    method: RoutingMethod
    reasons: _containers.RepeatedScalarFieldContainer[str]
    candidates: _containers.RepeatedCompositeFieldContainer[DepartmentScore]
    triage: bool
    priority: Priority
    category: str
    model_version: str
    def __init__(self, department: _Optional[str] = ..., confidence: _Optional[float] = ..., method: _Optional[_Union[RoutingMethod, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., candidates: _Optional[_Iterable[_Union[DepartmentScore, _Mapping]]] = ..., triage: _Optional[bool] = ..., priority: _Optional[_Union[Priority, str]] = ..., category: _Optional[str] = ..., model_version: _Optional[str] = ...) -> None: ...

class RoutedMessage(_message.Message):
    __slots__ = ("message", "decision", "routed_at")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ROUTED_AT_FIELD_NUMBER: _ClassVar[int]
    message: ContactMessage
    decision: RoutingDecision
    routed_at: _timestamp_pb2.Timestamp
    def __init__(self, message: _Optional[_Union[ContactMessage, _Mapping]] = ..., decision: _Optional[_Union[RoutingDecision, _Mapping]] = ..., routed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("original", "original_key", "source_topic", "source_partition", "source_offset", "stage", "error", "failed_at", "original_path", "original_headers")
    class OriginalHeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ORIGINAL_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TOPIC_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PARTITION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_PATH_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_HEADERS_FIELD_NUMBER: _ClassVar[int]
    original: bytes
    original_key: bytes
    source_topic: str
    source_partition: int
    source_offset: int
    stage: str
    error: str
    failed_at: _timestamp_pb2.Timestamp
    original_path: str
    original_headers: _containers.ScalarMap[str, str]
    def __init__(self, original: _Optional[bytes] = ..., original_key: _Optional[bytes] = ..., source_topic: _Optional[str] = ..., source_partition: _Optional[int] = ..., source_offset: _Optional[int] = ..., stage: _Optional[str] = ..., error: _Optional[str] = ..., failed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., original_path: _Optional[str] = ..., original_headers: _Optional[_Mapping[str, str]] = ...) -> None: ...
