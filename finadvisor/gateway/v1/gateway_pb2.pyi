from finadvisor.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartSessionRequest(_message.Message):
    __slots__ = ("customer_id", "locale", "currency", "profile")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    locale: str
    currency: str
    profile: _containers.ScalarMap[str, str]
    def __init__(self, customer_id: _Optional[str] = ..., locale: _Optional[str] = ..., currency: _Optional[str] = ..., profile: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("session_id", "state", "ttl_seconds")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    state: _common_pb2.DialogueState
    ttl_seconds: int
    def __init__(self, session_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class ConverseRequest(_message.Message):
    __slots__ = ("session_id", "request_id", "text", "image", "audio", "assess_credit", "n_best")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    ASSESS_CREDIT_FIELD_NUMBER: _ClassVar[int]
    N_BEST_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    request_id: str
    text: str
    image: _common_pb2.Attachment
    audio: _common_pb2.Attachment
    assess_credit: bool
    n_best: int
    def __init__(self, session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., text: _Optional[str] = ..., image: _Optional[_Union[_common_pb2.Attachment, _Mapping]] = ..., audio: _Optional[_Union[_common_pb2.Attachment, _Mapping]] = ..., assess_credit: _Optional[bool] = ..., n_best: _Optional[int] = ...) -> None: ...

class ConverseResponse(_message.Message):
    __slots__ = ("reply", "state", "credit", "degraded", "findings", "model_versions", "session_id", "request_id", "turn", "alternatives", "attention", "fallback", "replayed", "acts")
    class ModelVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REPLY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    ATTENTION_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    ACTS_FIELD_NUMBER: _ClassVar[int]
    reply: str
    state: _common_pb2.DialogueState
    credit: _common_pb2.CreditAssessment
    degraded: _containers.RepeatedScalarFieldContainer[str]
    findings: _common_pb2.Findings
    model_versions: _containers.ScalarMap[str, str]
    session_id: str
    request_id: str
    turn: int
    alternatives: _containers.RepeatedCompositeFieldContainer[_common_pb2.Alternative]
    attention: _common_pb2.Attention
    fallback: bool
    replayed: bool
    acts: _containers.RepeatedCompositeFieldContainer[_common_pb2.DialogueAct]
    def __init__(self, reply: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., credit: _Optional[_Union[_common_pb2.CreditAssessment, _Mapping]] = ..., degraded: _Optional[_Iterable[str]] = ..., findings: _Optional[_Union[_common_pb2.Findings, _Mapping]] = ..., model_versions: _Optional[_Mapping[str, str]] = ..., session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., turn: _Optional[int] = ..., alternatives: _Optional[_Iterable[_Union[_common_pb2.Alternative, _Mapping]]] = ..., attention: _Optional[_Union[_common_pb2.Attention, _Mapping]] = ..., fallback: _Optional[bool] = ..., replayed: _Optional[bool] = ..., acts: _Optional[_Iterable[_Union[_common_pb2.DialogueAct, _Mapping]]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id", "history_limit")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    history_limit: int
    def __init__(self, session_id: _Optional[str] = ..., history_limit: _Optional[int] = ...) -> None: ...

class HistoryTurn(_message.Message):
    __slots__ = ("turn", "request_id", "text", "reply", "intent", "changed_slots", "degraded", "timestamp_ms", "text_source", "image_type", "acts")
    TURN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    TEXT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTS_FIELD_NUMBER: _ClassVar[int]
    turn: int
    request_id: str
    text: str
    reply: str
    intent: str
    changed_slots: _containers.RepeatedScalarFieldContainer[str]
    degraded: _containers.RepeatedScalarFieldContainer[str]
    timestamp_ms: int
    text_source: str
    image_type: str
    acts: _containers.RepeatedCompositeFieldContainer[_common_pb2.DialogueAct]
    def __init__(self, turn: _Optional[int] = ..., request_id: _Optional[str] = ..., text: _Optional[str] = ..., reply: _Optional[str] = ..., intent: _Optional[str] = ..., changed_slots: _Optional[_Iterable[str]] = ..., degraded: _Optional[_Iterable[str]] = ..., timestamp_ms: _Optional[int] = ..., text_source: _Optional[str] = ..., image_type: _Optional[str] = ..., acts: _Optional[_Iterable[_Union[_common_pb2.DialogueAct, _Mapping]]] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session_id", "state", "history", "profile", "created_ms", "ttl_seconds")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    state: _common_pb2.DialogueState
    history: _containers.RepeatedCompositeFieldContainer[HistoryTurn]
    profile: _containers.ScalarMap[str, str]
    created_ms: int
    ttl_seconds: int
    def __init__(self, session_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., history: _Optional[_Iterable[_Union[HistoryTurn, _Mapping]]] = ..., profile: _Optional[_Mapping[str, str]] = ..., created_ms: _Optional[int] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class EndSessionRequest(_message.Message):
    __slots__ = ("session_id", "erase")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ERASE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    erase: bool
    def __init__(self, session_id: _Optional[str] = ..., erase: _Optional[bool] = ...) -> None: ...

class EndSessionResponse(_message.Message):
    __slots__ = ("erased", "expires_at_ms")
    ERASED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    erased: bool
    expires_at_ms: int
    def __init__(self, erased: _Optional[bool] = ..., expires_at_ms: _Optional[int] = ...) -> None: ...

class Applicant(_message.Message):
    __slots__ = ("loan_amount", "loan_term_months", "loan_purpose", "age", "employment_years", "employment_status", "housing", "dependents", "monthly_income", "monthly_debt", "currency", "profile")
    class ProfileEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LOAN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LOAN_TERM_MONTHS_FIELD_NUMBER: _ClassVar[int]
    LOAN_PURPOSE_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    EMPLOYMENT_YEARS_FIELD_NUMBER: _ClassVar[int]
    EMPLOYMENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    HOUSING_FIELD_NUMBER: _ClassVar[int]
    DEPENDENTS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_INCOME_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_DEBT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    loan_amount: str
    loan_term_months: int
    loan_purpose: str
    age: int
    employment_years: float
    employment_status: str
    housing: str
    dependents: int
    monthly_income: str
    monthly_debt: str
    currency: str
    profile: _containers.ScalarMap[str, str]
    def __init__(self, loan_amount: _Optional[str] = ..., loan_term_months: _Optional[int] = ..., loan_purpose: _Optional[str] = ..., age: _Optional[int] = ..., employment_years: _Optional[float] = ..., employment_status: _Optional[str] = ..., housing: _Optional[str] = ..., dependents: _Optional[int] = ..., monthly_income: _Optional[str] = ..., monthly_debt: _Optional[str] = ..., currency: _Optional[str] = ..., profile: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AssessCreditRequest(_message.Message):
    __slots__ = ("applicant",)
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    applicant: Applicant
    def __init__(self, applicant: _Optional[_Union[Applicant, _Mapping]] = ...) -> None: ...

class AssessCreditResponse(_message.Message):
    __slots__ = ("credit",)
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    credit: _common_pb2.CreditAssessment
    def __init__(self, credit: _Optional[_Union[_common_pb2.CreditAssessment, _Mapping]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("limit", "client_id")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    client_id: str
    def __init__(self, limit: _Optional[int] = ..., client_id: _Optional[str] = ...) -> None: ...

class SessionSummary(_message.Message):
    __slots__ = ("session_id", "updated_ms", "turn_count", "active_intent", "client_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_MS_FIELD_NUMBER: _ClassVar[int]
    TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_INTENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    updated_ms: int
    turn_count: int
    active_intent: str
    client_id: str
    def __init__(self, session_id: _Optional[str] = ..., updated_ms: _Optional[int] = ..., turn_count: _Optional[int] = ..., active_intent: _Optional[str] = ..., client_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionSummary]
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionSummary, _Mapping]]] = ...) -> None: ...

class GetAuditRecordsRequest(_message.Message):
    __slots__ = ("session_id", "limit")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    limit: int
    def __init__(self, session_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class AuditRecord(_message.Message):
    __slots__ = ("id", "session_id", "request_id", "kind", "timestamp_ms", "input_hashes", "model_versions", "decision", "reasons", "probability_of_default", "degraded", "caller")
    class InputHashesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ModelVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    INPUT_HASHES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_OF_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    id: str
    session_id: str
    request_id: str
    kind: str
    timestamp_ms: int
    input_hashes: _containers.ScalarMap[str, str]
    model_versions: _containers.ScalarMap[str, str]
    decision: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    probability_of_default: float
    degraded: _containers.RepeatedScalarFieldContainer[str]
    caller: str
    def __init__(self, id: _Optional[str] = ..., session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., kind: _Optional[str] = ..., timestamp_ms: _Optional[int] = ..., input_hashes: _Optional[_Mapping[str, str]] = ..., model_versions: _Optional[_Mapping[str, str]] = ..., decision: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., probability_of_default: _Optional[float] = ..., degraded: _Optional[_Iterable[str]] = ..., caller: _Optional[str] = ...) -> None: ...

class GetAuditRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[AuditRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[AuditRecord, _Mapping]]] = ...) -> None: ...

class GatewayInfo(_message.Message):
    __slots__ = ("gateway", "services")
    class ServicesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.ServiceInfo
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.ServiceInfo, _Mapping]] = ...) -> None: ...
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    gateway: _common_pb2.ServiceInfo
    services: _containers.MessageMap[str, _common_pb2.ServiceInfo]
    def __init__(self, gateway: _Optional[_Union[_common_pb2.ServiceInfo, _Mapping]] = ..., services: _Optional[_Mapping[str, _common_pb2.ServiceInfo]] = ...) -> None: ...
