from finadvisor.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContextTurn(_message.Message):
    __slots__ = ("speaker", "text")
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    speaker: str
    text: str
    def __init__(self, speaker: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("context", "state", "findings", "credit", "num_beams", "n_best", "return_attention", "request_id", "acts")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    NUM_BEAMS_FIELD_NUMBER: _ClassVar[int]
    N_BEST_FIELD_NUMBER: _ClassVar[int]
    RETURN_ATTENTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTS_FIELD_NUMBER: _ClassVar[int]
    context: _containers.RepeatedCompositeFieldContainer[ContextTurn]
    state: _common_pb2.DialogueState
    findings: _common_pb2.Findings
    credit: _common_pb2.CreditAssessment
    num_beams: int
    n_best: int
    return_attention: bool
    request_id: str
    acts: _containers.RepeatedCompositeFieldContainer[_common_pb2.DialogueAct]
    def __init__(self, context: _Optional[_Iterable[_Union[ContextTurn, _Mapping]]] = ..., state: _Optional[_Union[_common_pb2.DialogueState, _Mapping]] = ..., findings: _Optional[_Union[_common_pb2.Findings, _Mapping]] = ..., credit: _Optional[_Union[_common_pb2.CreditAssessment, _Mapping]] = ..., num_beams: _Optional[int] = ..., n_best: _Optional[int] = ..., return_attention: _Optional[bool] = ..., request_id: _Optional[str] = ..., acts: _Optional[_Iterable[_Union[_common_pb2.DialogueAct, _Mapping]]] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ("reply", "delexicalized", "alternatives", "attention", "fallback", "fallback_reason", "model_version", "disclaimers")
    REPLY_FIELD_NUMBER: _ClassVar[int]
    DELEXICALIZED_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    ATTENTION_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DISCLAIMERS_FIELD_NUMBER: _ClassVar[int]
    reply: str
    delexicalized: str
    alternatives: _containers.RepeatedCompositeFieldContainer[_common_pb2.Alternative]
    attention: _common_pb2.Attention
    fallback: bool
    fallback_reason: str
    model_version: str
    disclaimers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, reply: _Optional[str] = ..., delexicalized: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[_common_pb2.Alternative, _Mapping]]] = ..., attention: _Optional[_Union[_common_pb2.Attention, _Mapping]] = ..., fallback: _Optional[bool] = ..., fallback_reason: _Optional[str] = ..., model_version: _Optional[str] = ..., disclaimers: _Optional[_Iterable[str]] = ...) -> None: ...
