from finadvisor.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeAudioRequest(_message.Message):
    __slots__ = ("audio", "request_id", "return_log_mel")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_LOG_MEL_FIELD_NUMBER: _ClassVar[int]
    audio: _common_pb2.Attachment
    request_id: str
    return_log_mel: bool
    def __init__(self, audio: _Optional[_Union[_common_pb2.Attachment, _Mapping]] = ..., request_id: _Optional[str] = ..., return_log_mel: _Optional[bool] = ...) -> None: ...

class AnalyzeAudioResponse(_message.Message):
    __slots__ = ("findings", "log_mel", "n_frames", "n_mels", "asr_backend", "model_version")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    LOG_MEL_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    N_MELS_FIELD_NUMBER: _ClassVar[int]
    ASR_BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    findings: _common_pb2.VoiceFindings
    log_mel: _containers.RepeatedScalarFieldContainer[float]
    n_frames: int
    n_mels: int
    asr_backend: str
    model_version: str
    def __init__(self, findings: _Optional[_Union[_common_pb2.VoiceFindings, _Mapping]] = ..., log_mel: _Optional[_Iterable[float]] = ..., n_frames: _Optional[int] = ..., n_mels: _Optional[int] = ..., asr_backend: _Optional[str] = ..., model_version: _Optional[str] = ...) -> None: ...
