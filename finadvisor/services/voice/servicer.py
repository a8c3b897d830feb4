"""gRPC servicer of the voice service: proto <-> domain only."""

from __future__ import annotations

import grpc

from finadvisor.common.v1 import common_pb2
from finadvisor.services.voice.engine import AudioAnalysis, VoiceEngine
from finadvisor.shared.errors import InvalidInputError
from finadvisor.shared.info import service_info
from finadvisor.voice.v1 import voice_pb2, voice_pb2_grpc


def analysis_to_proto(a: AudioAnalysis) -> voice_pb2.AnalyzeAudioResponse:
    p = a.prosody
    resp = voice_pb2.AnalyzeAudioResponse(
        findings=common_pb2.VoiceFindings(
            transcript=a.transcript,
            transcript_confidence=a.transcript_confidence,
            prosody=common_pb2.Prosody(
                duration_seconds=p.duration_seconds, speech_rate=p.speech_rate,
                pause_ratio=p.pause_ratio, energy_db=p.energy_db,
                pitch_mean_hz=p.pitch_mean_hz, pitch_std_hz=p.pitch_std_hz),
            intent=a.intent,
            intent_confidence=a.intent_confidence,
            embedding=[float(x) for x in a.embedding],
        ),
        asr_backend=a.asr_backend,
        model_version=a.model_version,
    )
    if a.log_mel is not None:
        n_frames, n_mels = a.log_mel.shape  # (n_frames, n_mels), sent row-major
        resp.n_frames, resp.n_mels = int(n_frames), int(n_mels)
        resp.log_mel.extend(a.log_mel.reshape(-1).tolist())
    return resp


class VoiceNotesServicer(voice_pb2_grpc.VoiceNotesServicer):
    def __init__(self, engine: VoiceEngine) -> None:
        self.engine = engine

    async def AnalyzeAudio(self, request: voice_pb2.AnalyzeAudioRequest,
                           context: grpc.aio.ServicerContext) -> voice_pb2.AnalyzeAudioResponse:
        if not request.HasField("audio") or not request.audio.data:
            raise InvalidInputError("audio.data is required")
        # The caller's remaining deadline bounds the work: a note still queued when it passes is
        # dropped (DEADLINE_EXCEEDED) rather than decoded for nobody; a cancelled call cancels
        # this coroutine, which takes its note out of the recogniser's queue.
        analysis = await self.engine.analyze(request.audio.data, request.audio.mime_type,
                                             return_log_mel=request.return_log_mel,
                                             timeout=context.time_remaining())
        return analysis_to_proto(analysis)

    async def GetInfo(self, request: common_pb2.GetInfoRequest,
                      context: grpc.aio.ServicerContext) -> common_pb2.ServiceInfo:
        caps = self.engine.capabilities()
        asr = caps["asr"]
        conf = caps["confidence"]
        return service_info("voice", {"voice": self.engine.model_version},
                            {"asr": (bool(asr["available"]), f"{asr['backend']}: {asr['detail']}"),
                             "features": (True, "log-mel, prosody, RNN embedding"),
                             # the dialogue manager's contract: confirm, don't fill slots, below it
                             "transcript_confidence": (
                                 bool(conf["calibrated"]),
                                 f"low_confidence_below={conf['low_confidence_below']}; "
                                 f"calibrated on {conf['fitted_on']}"),
                             "throughput": (True, f"workers={caps['workers']} "
                                                  f"max_batch={caps['max_batch']}")})
