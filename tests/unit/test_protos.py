"""The committed stubs match the .proto files, and the public contract holds."""

from __future__ import annotations

from finadvisor import protogen
from finadvisor.gateway.v1 import gateway_pb2


def test_stubs_do_not_drift() -> None:
    problems = protogen.check()
    assert problems == [], "\n".join(problems) + "\nrun: python -m finadvisor.protogen"


def test_gateway_contract() -> None:
    svc = gateway_pb2.DESCRIPTOR.services_by_name["AdvisoryGateway"]
    assert svc.full_name == "finadvisor.gateway.v1.AdvisoryGateway"
    methods = {m.name for m in svc.methods}
    assert {"StartSession", "Converse", "GetSession", "EndSession", "AssessCredit"} <= methods
    req = gateway_pb2.ConverseRequest.DESCRIPTOR.fields_by_name
    assert {"session_id", "request_id", "text", "image", "audio"} <= set(req)
    assert req["image"].message_type.fields_by_name["data"].type == req["image"].message_type.fields_by_name["data"].TYPE_BYTES
    resp = gateway_pb2.ConverseResponse.DESCRIPTOR.fields_by_name
    assert {"reply", "state", "credit", "degraded", "findings", "model_versions"} <= set(resp)
    slot = resp["state"].message_type.fields_by_name["slots"].message_type
    value_msg = slot.fields_by_name["value"].message_type
    assert {"value", "confidence", "source", "turn"} <= set(value_msg.fields_by_name)
    credit = resp["credit"].message_type.fields_by_name
    assert {"probability_of_default", "decision", "reasons"} <= set(credit)
    assert gateway_pb2.StartSessionResponse.DESCRIPTOR.fields_by_name["session_id"]


def test_no_float_money() -> None:
    """Money fields are decimal strings: no amount/income/pay field is a float or double."""
    money_words = ("amount", "income", "debt", "instalment", "pay", "balance")
    import finadvisor.common.v1.common_pb2 as common

    for module in (gateway_pb2, common):
        for msg in module.DESCRIPTOR.message_types_by_name.values():
            for f in msg.fields:
                if any(w in f.name for w in money_words) and "_to_" not in f.name:
                    assert f.type == f.TYPE_STRING, f"{msg.name}.{f.name} must be a string"
