"""gRPC servicer of the generator service: proto <-> domain only.

A request without acts (a client of the first contract) gets the acts the dialogue manager
decides from the request's own state, findings and credit: the reply is always worded from acts.
"""

from __future__ import annotations

import grpc
from prometheus_client import Counter

from finadvisor.common.v1 import common_pb2
from finadvisor.dialogue import acts as dialogue_acts
from finadvisor.dialogue.manager import CreditView, DialogueManager, Turn, main_reason
from finadvisor.generator.v1 import generator_pb2, generator_pb2_grpc
from finadvisor.services.generator.engine import GenerationOutput, GeneratorEngine
from finadvisor.services.generator.inputs import CreditInfo, GenerationInput, VoiceFeatures
from finadvisor.shared.info import service_info
from finadvisor.shared.metrics import REGISTRY

#: Replies by outcome: "generated" (the decoded reply was faithful), "nbest" (a faithful beam
#: alternative replaced it), "template" (the acts' template realisation replaced it), "policy"
#: (a request without acts fell back to the policy's safe reply).
REPLIES = Counter("finadvisor_generator_replies_total", "Generated replies by guard outcome",
                  ["outcome"], registry=REGISTRY)
_DM = DialogueManager()


def outcome(out: GenerationOutput) -> str:
    if out.fallback_reason.startswith("template:"):
        return "template"
    if out.fallback_reason.startswith("nbest:"):
        return "nbest"
    return "policy" if out.fallback else "generated"


def acts_of(req: generator_pb2.GenerateRequest) -> tuple[dialogue_acts.Act, ...]:
    """The request's acts, or the dialogue manager's for its state when it has none."""
    if req.acts:
        return tuple(dialogue_acts.from_messages(req.acts))
    view = None
    if req.HasField("credit") and req.credit.decision:
        aff = req.credit.affordability
        view = CreditView(decision=req.credit.decision,
                          reason=main_reason([(r.description, r.source) for r in req.credit.reasons]),
                          needs=list(req.credit.needs), instalment=aff.monthly_instalment,
                          currency=aff.currency)
    image = req.findings.image
    return tuple(_DM.decide(Turn(
        intent=req.state.active_intent, slots={k: v.value for k, v in req.state.slots.items()},
        changed_slots=list(req.state.changed_slots), image_type=image.image_type,
        image_fields={f.name: f.value for f in image.fields if f.value},
        chart_trend=image.chart_trend, trend_change_percent=image.trend_change_percent or None,
        credit=view)))


def request_to_input(req: generator_pb2.GenerateRequest) -> GenerationInput:
    credit = None
    if req.HasField("credit"):
        aff = req.credit.affordability
        credit = CreditInfo(
            decision=req.credit.decision,
            monthly_instalment=aff.monthly_instalment,
            max_affordable_amount=aff.max_affordable_amount,
            affordable=aff.affordable if req.credit.HasField("affordability") else None,
        )
    voice = None
    if req.findings.HasField("voice"):
        v = req.findings.voice
        voice = VoiceFeatures(speech_rate=v.prosody.speech_rate,
                              pause_ratio=v.prosody.pause_ratio, embedding=tuple(v.embedding))
    num_beams = req.num_beams or 1
    return GenerationInput(
        context=[(t.speaker, t.text) for t in req.context],
        intent=req.state.active_intent,
        slots={k: v.value for k, v in req.state.slots.items()},
        changed_slots=list(req.state.changed_slots),
        image_type=req.findings.image.image_type,
        chart_trend=req.findings.image.chart_trend,
        voice_features=voice,
        credit=credit,
        num_beams=num_beams,
        n_best=max(1, min(req.n_best or 1, num_beams)),
        return_attention=req.return_attention,
        acts=acts_of(req),
    )


def output_to_proto(out: GenerationOutput) -> generator_pb2.GenerateResponse:
    resp = generator_pb2.GenerateResponse(
        reply=out.reply, delexicalized=out.delexicalized, fallback=out.fallback,
        fallback_reason=out.fallback_reason, model_version=out.model_version,
        disclaimers=out.disclaimers,
        alternatives=[common_pb2.Alternative(reply=a.reply, score=a.score)
                      for a in out.alternatives],
    )
    if out.attention is not None:
        resp.attention.CopyFrom(common_pb2.Attention(
            input_tokens=out.attention.input_tokens,
            output_tokens=out.attention.output_tokens,
            rows=[common_pb2.AttentionRow(weights=r) for r in out.attention.rows],
        ))
    return resp


class ResponseGeneratorServicer(generator_pb2_grpc.ResponseGeneratorServicer):
    """Replies from the engine GeneratorApp.start() loaded."""

    def __init__(self, engine: GeneratorEngine) -> None:
        self.engine = engine

    async def Generate(self, request: generator_pb2.GenerateRequest,
                       context: grpc.aio.ServicerContext) -> generator_pb2.GenerateResponse:
        out = await self.engine.generate(request_to_input(request))
        REPLIES.labels(outcome(out)).inc()
        return output_to_proto(out)

    async def GetInfo(self, request: common_pb2.GetInfoRequest,
                      context: grpc.aio.ServicerContext) -> common_pb2.ServiceInfo:
        return service_info("generator", {"generator": self.engine.model_version})
