"""Uploads decoded once per file and size, and a PSNR of an exact match that reads as such."""

from __future__ import annotations

import math

import numpy as np
import torch

from explorer.app.ct_tables import EXACT, psnr_text
from explorer.app.uploads import decode_upload
from explorer.imaging.metrics import psnr
from explorer.imaging.phantoms import PhantomError, load_image
from test_phantoms import _encode, _gradient


class _Counting:
    """A decoder that counts its calls and reads of the file."""

    def __init__(self) -> None:
        self.decodes = 0
        self.reads = 0

    def decode(self, data: bytes, n: int):
        self.decodes += 1
        return load_image(data, n)

    def reader(self, data: bytes):
        def read() -> bytes:
            self.reads += 1
            return data
        return read


def test_a_large_upload_is_decoded_once_across_reruns() -> None:
    data = _encode(_gradient(2048, 2048))
    cache: dict = {}
    counting = _Counting()
    first = decode_upload(cache, "file-1", counting.reader(data), 64, decode=counting.decode)
    for _ in range(3):  # later reruns of the page
        again = decode_upload(cache, "file-1", counting.reader(data), 64, decode=counting.decode)
        assert again is first
    assert (counting.decodes, counting.reads) == (1, 1)
    assert first.image.shape == (64, 64) and first.error is None and len(first.digest) == 64
    decode_upload(cache, "file-1", counting.reader(data), 32, decode=counting.decode)  # another size decodes
    assert counting.decodes == 2


def test_bad_uploads_are_remembered_with_their_message() -> None:
    cache: dict = {}
    counting = _Counting()
    for _ in range(2):
        bad = decode_upload(cache, "bad", counting.reader(b"not an image"), 64, decode=counting.decode)
    assert counting.decodes == 1 and bad.image is None and "not a PNG or JPEG" in bad.error
    assert issubclass(PhantomError, ValueError)


def test_the_cache_keeps_a_few_uploads() -> None:
    data = _encode(_gradient(32, 32))
    cache: dict = {}
    for i in range(10):
        decode_upload(cache, f"file-{i}", lambda: data, 32, keep=4)
    assert list(cache) == [(f"file-{i}", 32) for i in range(6, 10)]


def test_an_exact_match_reads_as_such() -> None:
    truth = torch.rand(16, 16)
    value = float(psnr(truth, truth)[0])
    assert math.isinf(value)  # the library keeps returning inf
    assert psnr_text(value) == EXACT and psnr_text(value, " dB") == EXACT
    assert psnr_text(31.234, " dB") == "31.23 dB" and psnr_text(float("nan")) == "-"
    assert "inf" not in psnr_text(np.inf)
