from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Attachment(_message.Message):
    __slots__ = ("data", "mime_type", "filename")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime_type: str
    filename: str
    def __init__(self, data: _Optional[bytes] = ..., mime_type: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class SlotValue(_message.Message):
    __slots__ = ("value", "confidence", "source", "turn")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TURN_FIELD_NUMBER: _ClassVar[int]
    value: str
    confidence: float
    source: str
    turn: int
    def __init__(self, value: _Optional[str] = ..., confidence: _Optional[float] = ..., source: _Optional[str] = ..., turn: _Optional[int] = ...) -> None: ...

class DialogueState(_message.Message):
    __slots__ = ("active_intent", "slots", "intent_confidence", "turn_count", "changed_slots")
    class SlotsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SlotValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SlotValue, _Mapping]] = ...) -> None: ...
    ACTIVE_INTENT_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    INTENT_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TURN_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    active_intent: str
    slots: _containers.MessageMap[str, SlotValue]
    intent_confidence: float
    turn_count: int
    changed_slots: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, active_intent: _Optional[str] = ..., slots: _Optional[_Mapping[str, SlotValue]] = ..., intent_confidence: _Optional[float] = ..., turn_count: _Optional[int] = ..., changed_slots: _Optional[_Iterable[str]] = ...) -> None: ...

class Fact(_message.Message):
    __slots__ = ("slot", "value", "confidence", "source")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    slot: str
    value: str
    confidence: float
    source: str
    def __init__(self, slot: _Optional[str] = ..., value: _Optional[str] = ..., confidence: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class ExtractedField(_message.Message):
    __slots__ = ("name", "value", "confidence", "slot")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    confidence: float
    slot: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., confidence: _Optional[float] = ..., slot: _Optional[str] = ...) -> None: ...

class Prosody(_message.Message):
    __slots__ = ("duration_seconds", "speech_rate", "pause_ratio", "energy_db", "pitch_mean_hz", "pitch_std_hz")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SPEECH_RATE_FIELD_NUMBER: _ClassVar[int]
    PAUSE_RATIO_FIELD_NUMBER: _ClassVar[int]
    ENERGY_DB_FIELD_NUMBER: _ClassVar[int]
    PITCH_MEAN_HZ_FIELD_NUMBER: _ClassVar[int]
    PITCH_STD_HZ_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: float
    speech_rate: float
    pause_ratio: float
    energy_db: float
    pitch_mean_hz: float
    pitch_std_hz: float
    def __init__(self, duration_seconds: _Optional[float] = ..., speech_rate: _Optional[float] = ..., pause_ratio: _Optional[float] = ..., energy_db: _Optional[float] = ..., pitch_mean_hz: _Optional[float] = ..., pitch_std_hz: _Optional[float] = ...) -> None: ...

class ImageFindings(_message.Message):
    __slots__ = ("image_type", "type_probabilities", "chart_trend", "trend_probabilities", "fields", "embedding", "trend_change_percent", "ocr_engine")
    class TypeProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class TrendProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    IMAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    CHART_TREND_FIELD_NUMBER: _ClassVar[int]
    TREND_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    TREND_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    OCR_ENGINE_FIELD_NUMBER: _ClassVar[int]
    image_type: str
    type_probabilities: _containers.ScalarMap[str, float]
    chart_trend: str
    trend_probabilities: _containers.ScalarMap[str, float]
    fields: _containers.RepeatedCompositeFieldContainer[ExtractedField]
    embedding: _containers.RepeatedScalarFieldContainer[float]
    trend_change_percent: float
    ocr_engine: str
    def __init__(self, image_type: _Optional[str] = ..., type_probabilities: _Optional[_Mapping[str, float]] = ..., chart_trend: _Optional[str] = ..., trend_probabilities: _Optional[_Mapping[str, float]] = ..., fields: _Optional[_Iterable[_Union[ExtractedField, _Mapping]]] = ..., embedding: _Optional[_Iterable[float]] = ..., trend_change_percent: _Optional[float] = ..., ocr_engine: _Optional[str] = ...) -> None: ...

class VoiceFindings(_message.Message):
    __slots__ = ("transcript", "transcript_confidence", "prosody", "intent", "intent_confidence", "embedding")
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROSODY_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    INTENT_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    transcript: str
    transcript_confidence: float
    prosody: Prosody
    intent: str
    intent_confidence: float
    embedding: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, transcript: _Optional[str] = ..., transcript_confidence: _Optional[float] = ..., prosody: _Optional[_Union[Prosody, _Mapping]] = ..., intent: _Optional[str] = ..., intent_confidence: _Optional[float] = ..., embedding: _Optional[_Iterable[float]] = ...) -> None: ...

class Findings(_message.Message):
    __slots__ = ("image", "voice")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    image: ImageFindings
    voice: VoiceFindings
    def __init__(self, image: _Optional[_Union[ImageFindings, _Mapping]] = ..., voice: _Optional[_Union[VoiceFindings, _Mapping]] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "description", "contribution", "source")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    contribution: float
    source: str
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ..., contribution: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class Affordability(_message.Message):
    __slots__ = ("monthly_instalment", "debt_to_income", "max_affordable_amount", "annual_rate_percent", "affordable", "currency")
    MONTHLY_INSTALMENT_FIELD_NUMBER: _ClassVar[int]
    DEBT_TO_INCOME_FIELD_NUMBER: _ClassVar[int]
    MAX_AFFORDABLE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_RATE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    AFFORDABLE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    monthly_instalment: str
    debt_to_income: float
    max_affordable_amount: str
    annual_rate_percent: float
    affordable: bool
    currency: str
    def __init__(self, monthly_instalment: _Optional[str] = ..., debt_to_income: _Optional[float] = ..., max_affordable_amount: _Optional[str] = ..., annual_rate_percent: _Optional[float] = ..., affordable: _Optional[bool] = ..., currency: _Optional[str] = ...) -> None: ...

class CreditAssessment(_message.Message):
    __slots__ = ("probability_of_default", "decision", "reasons", "affordability", "model_version", "missing_features", "needs", "decided_by")
    PROBABILITY_OF_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    AFFORDABILITY_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MISSING_FEATURES_FIELD_NUMBER: _ClassVar[int]
    NEEDS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    probability_of_default: float
    decision: str
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    affordability: Affordability
    model_version: str
    missing_features: _containers.RepeatedScalarFieldContainer[str]
    needs: _containers.RepeatedScalarFieldContainer[str]
    decided_by: str
    def __init__(self, probability_of_default: _Optional[float] = ..., decision: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., affordability: _Optional[_Union[Affordability, _Mapping]] = ..., model_version: _Optional[str] = ..., missing_features: _Optional[_Iterable[str]] = ..., needs: _Optional[_Iterable[str]] = ..., decided_by: _Optional[str] = ...) -> None: ...

class DialogueAct(_message.Message):
    __slots__ = ("name", "args")
    class ArgsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    args: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., args: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Attention(_message.Message):
    __slots__ = ("input_tokens", "output_tokens", "rows")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    input_tokens: _containers.RepeatedScalarFieldContainer[str]
    output_tokens: _containers.RepeatedScalarFieldContainer[str]
    rows: _containers.RepeatedCompositeFieldContainer[AttentionRow]
    def __init__(self, input_tokens: _Optional[_Iterable[str]] = ..., output_tokens: _Optional[_Iterable[str]] = ..., rows: _Optional[_Iterable[_Union[AttentionRow, _Mapping]]] = ...) -> None: ...

class AttentionRow(_message.Message):
    __slots__ = ("weights",)
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    weights: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, weights: _Optional[_Iterable[float]] = ...) -> None: ...

class Alternative(_message.Message):
    __slots__ = ("reply", "score")
    REPLY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    reply: str
    score: float
    def __init__(self, reply: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class Capability(_message.Message):
    __slots__ = ("name", "available", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    available: bool
    detail: str
    def __init__(self, name: _Optional[str] = ..., available: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServiceInfo(_message.Message):
    __slots__ = ("name", "version", "model_versions", "capabilities")
    class ModelVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    model_versions: _containers.ScalarMap[str, str]
    capabilities: _containers.RepeatedCompositeFieldContainer[Capability]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., model_versions: _Optional[_Mapping[str, str]] = ..., capabilities: _Optional[_Iterable[_Union[Capability, _Mapping]]] = ...) -> None: ...
