from finadvisor.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeImageRequest(_message.Message):
    __slots__ = ("image", "request_id", "skip_ocr")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SKIP_OCR_FIELD_NUMBER: _ClassVar[int]
    image: _common_pb2.Attachment
    request_id: str
    skip_ocr: bool
    def __init__(self, image: _Optional[_Union[_common_pb2.Attachment, _Mapping]] = ..., request_id: _Optional[str] = ..., skip_ocr: _Optional[bool] = ...) -> None: ...

class AnalyzeImageResponse(_message.Message):
    __slots__ = ("findings", "facts", "ocr_available", "width", "height", "model_version")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    OCR_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    findings: _common_pb2.ImageFindings
    facts: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fact]
    ocr_available: bool
    width: int
    height: int
    model_version: str
    def __init__(self, findings: _Optional[_Union[_common_pb2.ImageFindings, _Mapping]] = ..., facts: _Optional[_Iterable[_Union[_common_pb2.Fact, _Mapping]]] = ..., ocr_available: _Optional[bool] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., model_version: _Optional[str] = ...) -> None: ...
