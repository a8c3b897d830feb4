"""gRPC servicer of the vision service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.services.vision.engine import ImageAnalysis, VisionEngine
from finadvisor.shared.errors import InvalidInputError, ModelNotReadyError
from finadvisor.shared.info import service_info
from finadvisor.vision.v1 import vision_pb2, vision_pb2_grpc


def analysis_to_proto(a: ImageAnalysis) -> vision_pb2.AnalyzeImageResponse:
    return vision_pb2.AnalyzeImageResponse(
        findings=common_pb2.ImageFindings(
            image_type=a.image_type,
            type_probabilities=a.type_probabilities,
            chart_trend=a.chart_trend,
            trend_probabilities=a.trend_probabilities,
            embedding=a.embedding,
            trend_change_percent=a.trend_change_percent or 0.0,
            ocr_engine=a.ocr_engine,
            fields=[common_pb2.ExtractedField(name=f.name, value=f.value,
                                              confidence=f.confidence, slot=f.slot)
                    for f in a.fields],
        ),
        facts=[common_pb2.Fact(slot=f.slot, value=f.value, confidence=f.confidence,
                               source="image") for f in a.facts],
        ocr_available=a.ocr_available,
        width=a.width,
        height=a.height,
        model_version=a.model_version,
    )


class DocumentVisionServicer(vision_pb2_grpc.DocumentVisionServicer):
    def __init__(self, engine: VisionEngine) -> None:
        self.engine = engine

    async def AnalyzeImage(self, request: vision_pb2.AnalyzeImageRequest,
                           context: grpc.aio.ServicerContext) -> vision_pb2.AnalyzeImageResponse:
        if not self.engine.ready:
            raise ModelNotReadyError("vision model is loading")
        if not request.HasField("image") or not request.image.data:
            raise InvalidInputError("image.data is required")
        # The caller's remaining deadline bounds the work: once it passes (or the call is
        # cancelled) no decoding or OCR run starts for this image (DEADLINE_EXCEEDED).
        analysis = await self.engine.analyze(request.image.data, request.image.mime_type,
                                             skip_ocr=request.skip_ocr,
                                             timeout=context.time_remaining())
        return analysis_to_proto(analysis)

    async def GetInfo(self, request: common_pb2.GetInfoRequest,
                      context: grpc.aio.ServicerContext) -> common_pb2.ServiceInfo:
        versions = {"vision": self.engine.model_version} if self.engine.ready else {}
        return service_info("vision", versions, self.engine.capabilities())
