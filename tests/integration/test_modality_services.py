"""The vision and voice services over real channels: bad files are INVALID_ARGUMENT with a
clear message, and the service stays SERVING afterwards."""

from __future__ import annotations

import io
import struct
import zlib

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image

from finadvisor.common.v1 import common_pb2
from finadvisor.services.vision.config import VisionSettings
from finadvisor.services.vision.server import VisionApp
from finadvisor.services.voice.config import VoiceSettings
from finadvisor.services.voice.server import VoiceApp
from finadvisor.shared.client import make_channel
from finadvisor.shared.config import load_settings
from finadvisor.shared.server import RunningServer, ServiceApp, create_server
from finadvisor.vision.v1 import vision_pb2, vision_pb2_grpc
from finadvisor.voice.v1 import voice_pb2, voice_pb2_grpc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def png_header(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming ``width`` x ``height``, with no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


def small_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, format="PNG")
    return buf.getvalue()


async def _serve(app: ServiceApp) -> RunningServer:
    srv = await create_server(app, "127.0.0.1:0")
    await srv.start_app()
    return srv


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def vision():
    srv = await _serve(VisionApp(load_settings(VisionSettings, {"FINADVISOR_INSECURE": "1"})))
    channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=30)
    yield channel
    await channel.close()
    await srv.stop(0)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def voice():
    srv = await _serve(VoiceApp(load_settings(VoiceSettings, {"FINADVISOR_INSECURE": "1"})))
    channel = make_channel(f"127.0.0.1:{srv.port}", default_timeout_s=30)
    yield channel
    await channel.close()
    await srv.stop(0)


async def _serving(channel: grpc.aio.Channel) -> bool:
    resp = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                           timeout=5)
    return resp.status == health_pb2.HealthCheckResponse.SERVING


VISION_BAD = {
    "truncated": (small_png()[:40], "image/png"),
    "zero bytes": (b"", "image/png"),
    "20000x20000 header": (png_header(20000, 20000), "image/png"),
    "text named .png": (b"net pay: 3850 USD\nthis is not an image\n", "image/png"),
    "jpeg declared as png": (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/png"),
    "wrong mime": (small_png(), "application/pdf"),
}


@pytest.mark.parametrize("case", sorted(VISION_BAD))
async def test_vision_refuses_bad_images_and_keeps_serving(vision, case: str) -> None:
    data, mime = VISION_BAD[case]
    stub = vision_pb2_grpc.DocumentVisionStub(vision)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AnalyzeImage(vision_pb2.AnalyzeImageRequest(
            image=common_pb2.Attachment(data=data, mime_type=mime)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert err.value.details()
    assert await _serving(vision)
    ok = await stub.AnalyzeImage(vision_pb2.AnalyzeImageRequest(
        image=common_pb2.Attachment(data=small_png(), mime_type="image/png")))
    assert ok.findings.image_type and len(ok.findings.embedding) > 0


VOICE_BAD = {
    "zero bytes": (b"", "audio/wav"),
    "truncated wav": (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    "text named .wav": (b"I want to borrow five thousand euros", "audio/wav"),
    "oversized": (b"RIFF" + b"\x00" * (6 * 1024 * 1024), "audio/wav"),
    "wrong mime": (b"RIFF\x24\x00\x00\x00WAVE", "image/png"),
}


@pytest.mark.parametrize("case", sorted(VOICE_BAD))
async def test_voice_refuses_bad_audio_and_keeps_serving(voice, case: str) -> None:
    data, mime = VOICE_BAD[case]
    stub = voice_pb2_grpc.VoiceNotesStub(voice)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AnalyzeAudio(voice_pb2.AnalyzeAudioRequest(
            audio=common_pb2.Attachment(data=data, mime_type=mime)))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert err.value.details()
    assert await _serving(voice)
