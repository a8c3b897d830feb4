from finadvisor.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateSessionRequest(_message.Message):
    __slots__ = ("session_id", "profile")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    profile: _containers.ScalarMap[str, str]
    def __init__(self, session_id: _Optional[str] = ..., profile: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("state", "ttl_seconds")
    STATE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    state: _common_pb2.DialogueState
    ttl_seconds: int
    def __init__(self, state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class ApplyTurnRequest(_message.Message):
    __slots__ = ("session_id", "request_id", "text", "text_source", "facts", "backup_intent", "backup_intent_confidence", "history_limit", "hold_text_values")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    BACKUP_INTENT_FIELD_NUMBER: _ClassVar[int]
    BACKUP_INTENT_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    HOLD_TEXT_VALUES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    request_id: str
    text: str
    text_source: str
    facts: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fact]
    backup_intent: str
    backup_intent_confidence: float
    history_limit: int
    hold_text_values: bool
    def __init__(self, session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., text: _Optional[str] = ..., text_source: _Optional[str] = ..., facts: _Optional[_Iterable[_Union[_common_pb2.Fact, _Mapping]]] = ..., backup_intent: _Optional[str] = ..., backup_intent_confidence: _Optional[float] = ..., history_limit: _Optional[int] = ..., hold_text_values: _Optional[bool] = ...) -> None: ...

class ApplyTurnResponse(_message.Message):
    __slots__ = ("state", "turn", "replayed", "mentions", "history", "profile", "candidates")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STATE_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    MENTIONS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    state: _common_pb2.DialogueState
    turn: int
    replayed: bool
    mentions: _containers.RepeatedCompositeFieldContainer[SlotMention]
    history: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    profile: _containers.ScalarMap[str, str]
    candidates: _containers.RepeatedCompositeFieldContainer[SlotMention]
    def __init__(self, state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., turn: _Optional[int] = ..., replayed: _Optional[bool] = ..., mentions: _Optional[_Iterable[_Union[SlotMention, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., profile: _Optional[_Mapping[str, str]] = ..., candidates: _Optional[_Iterable[_Union[SlotMention, _Mapping]]] = ...) -> None: ...

class SlotMention(_message.Message):
    __slots__ = ("slot", "value", "confidence", "start", "end", "held")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    slot: str
    value: str
    confidence: float
    start: int
    end: int
    held: bool
    def __init__(self, slot: _Optional[str] = ..., value: _Optional[str] = ..., confidence: _Optional[float] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., held: _Optional[bool] = ...) -> None: ...

class RecordReplyRequest(_message.Message):
    __slots__ = ("session_id", "request_id", "reply", "degraded", "image_type")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    request_id: str
    reply: str
    degraded: _containers.RepeatedScalarFieldContainer[str]
    image_type: str
    def __init__(self, session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., reply: _Optional[str] = ..., degraded: _Optional[_Iterable[str]] = ..., image_type: _Optional[str] = ...) -> None: ...

class RecordReplyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStateRequest(_message.Message):
    __slots__ = ("session_id", "history_limit")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    history_limit: int
    def __init__(self, session_id: _Optional[str] = ..., history_limit: _Optional[int] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("turn", "request_id", "text", "text_source", "intent", "changed_slots", "reply", "degraded", "timestamp_ms", "image_type", "acts")
    TURN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTS_FIELD_NUMBER: _ClassVar[int]
    turn: int
    request_id: str
    text: str
    text_source: str
    intent: str
    changed_slots: _containers.RepeatedScalarFieldContainer[str]
    reply: str
    degraded: _containers.RepeatedScalarFieldContainer[str]
    timestamp_ms: int
    image_type: str
    acts: _containers.RepeatedCompositeFieldContainer[_common_pb2.DialogueAct]
    def __init__(self, turn: _Optional[int] = ..., request_id: _Optional[str] = ..., text: _Optional[str] = ..., text_source: _Optional[str] = ..., intent: _Optional[str] = ..., changed_slots: _Optional[_Iterable[str]] = ..., reply: _Optional[str] = ..., degraded: _Optional[_Iterable[str]] = ..., timestamp_ms: _Optional[int] = ..., image_type: _Optional[str] = ..., acts: _Optional[_Iterable[_Union[_common_pb2.DialogueAct, _Mapping]]] = ...) -> None: ...

class GetStateResponse(_message.Message):
    __slots__ = ("state", "history", "profile", "created_ms", "ttl_seconds")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STATE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    state: _common_pb2.DialogueState
    history: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    profile: _containers.ScalarMap[str, str]
    created_ms: int
    ttl_seconds: int
    def __init__(self, state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., history: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., profile: _Optional[_Mapping[str, str]] = ..., created_ms: _Optional[int] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class EraseSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class EraseSessionResponse(_message.Message):
    __slots__ = ("deleted_keys",)
    DELETED_KEYS_FIELD_NUMBER: _ClassVar[int]
    deleted_keys: int
    def __init__(self, deleted_keys: _Optional[int] = ...) -> None: ...

class UnderstandRequest(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class UnderstandResponse(_message.Message):
    __slots__ = ("intent", "intent_confidence", "intent_probabilities", "mentions")
    class IntentProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    INTENT_FIELD_NUMBER: _ClassVar[int]
    INTENT_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    INTENT_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    MENTIONS_FIELD_NUMBER: _ClassVar[int]
    intent: str
    intent_confidence: float
    intent_probabilities: _containers.ScalarMap[str, float]
    mentions: _containers.RepeatedCompositeFieldContainer[SlotMention]
    def __init__(self, intent: _Optional[str] = ..., intent_confidence: _Optional[float] = ..., intent_probabilities: _Optional[_Mapping[str, float]] = ..., mentions: _Optional[_Iterable[_Union[SlotMention, _Mapping]]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class SessionSummary(_message.Message):
    __slots__ = ("session_id", "last_active_ms")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVE_MS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    last_active_ms: int
    def __init__(self, session_id: _Optional[str] = ..., last_active_ms: _Optional[int] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionSummary]
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionSummary, _Mapping]]] = ...) -> None: ...
