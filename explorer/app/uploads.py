"""Uploaded images decoded once per file and size, so a page's reruns cost the same for any upload.

Decoding and resizing a 4096 x 4096 file takes a large share of a second; a page reruns on every click, so the
decoded image is kept in the session (a small mapping) under the upload's id and the requested size, together
with the file's digest that names it in shared caches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Hashable, MutableMapping

import torch

from explorer.imaging.dicom import DEFAULT_WINDOW, WINDOWS, is_dicom, load_dicom
from explorer.imaging.phantoms import PhantomError, load_image

KEEP = 4  # decoded uploads kept per session: the phantom's and the start's, each at a size or two
TYPES = ("png", "jpg", "jpeg", "dcm", "dicom")  # file name endings an uploader offers
DICOM_SUFFIXES = (".dcm", ".dicom")


@dataclass(frozen=True)
class Decoded:
    """One upload decoded at one size: the image and its notes, or the reason it cannot be used."""

    digest: str  # SHA-256 of the file's bytes, names it in caches shared by sessions
    image: torch.Tensor | None  # (n, n) float32 in [0, 1]; None when the file cannot be used
    notes: tuple[str, ...]  # one sentence per conversion applied
    error: str | None  # the PhantomError message when the file cannot be used
    dicom: bool = False  # the file is a DICOM file (a real CT slice, windowed from Hounsfield units)


def decode_file(data: bytes, n: int, *, name: str = "", center: float = WINDOWS[DEFAULT_WINDOW][0],
                width: float = WINDOWS[DEFAULT_WINDOW][1]) -> tuple[torch.Tensor, list[str]]:
    """An uploaded phantom: DICOM (by its "DICM" marker, or a .dcm / .dicom name) windowed at (center, width) HU,
    anything else as a PNG or JPEG image; raises PhantomError for files that cannot be used."""
    if is_dicom(data) or name.lower().endswith(DICOM_SUFFIXES):
        return load_dicom(data, n, center=center, width=width)
    return load_image(data, n)


def decode_upload(cache: MutableMapping, file_id: str, read: Callable[[], bytes], n: int, *,
                  decode: Callable[[bytes, int], tuple[torch.Tensor, list[str]]] = load_image,
                  keep: int = KEEP, variant: Hashable = None) -> Decoded:
    """The upload `file_id` decoded at side n, from `cache` when it was decoded before.

    Parameters
    ----------
    cache : mutable mapping
        Where decoded uploads are kept (a dict in the session state); the oldest entries go beyond `keep`.
    file_id : str
        Names one uploaded file (Streamlit's `UploadedFile.file_id`): a new upload has a new id.
    read : callable
        Returns the file's bytes; called only when the upload is not in the cache.
    n : int
        Side of the decoded image in pixels.
    decode : callable
        `decode(data, n) -> (image, notes)`, raising PhantomError for files that cannot be used.
    keep : int
        Decoded uploads kept in `cache`.
    variant : hashable
        Whatever else `decode` depends on (a DICOM window): another variant decodes the file again.
    """
    key = (file_id, int(n)) if variant is None else (file_id, int(n), variant)
    if key not in cache:
        data = read()
        digest = hashlib.sha256(data).hexdigest()
        try:
            image, notes = decode(data, int(n))
            cache[key] = Decoded(digest, image, tuple(notes), None, is_dicom(data))
        except PhantomError as error:
            cache[key] = Decoded(digest, None, (), str(error), is_dicom(data))
        for old in list(cache)[:-keep]:
            del cache[old]
    return cache[key]
