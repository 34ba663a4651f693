"""Real CT slices: a DICOM file's pixels in Hounsfield units, a display window to [0, 1], and a built-in slice.

A DICOM file is untrusted data: its header may claim any size, slope or layout. The file meta (read first, without
the dataset) must name an uncompressed or RLE transfer syntax that can be decoded here without an external codec;
a deflated dataset is refused before it is inflated. The pixel count, the number of frames and of samples per pixel
are checked before the pixels are decoded, and a slope or intercept that is missing or absurd is replaced by the
identity with a note. Every refusal is a :class:`~explorer.imaging.phantoms.PhantomError` of one sentence.

The built-in slice is pydicom's own test file ``CT_small.dcm`` (128 x 128, a CT slice shipped in its wheel); it is
found inside the installed package and never downloaded.
"""

from __future__ import annotations

import io
import math
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from explorer.imaging.phantoms import MAX_FILE_BYTES, MAX_PIXELS, MIN_SIDE, PhantomError, fit_square

# Display windows (centre, width) in Hounsfield units: air is -1000 HU, water 0, soft tissue 20 to 80, bone 400+.
WINDOWS: dict[str, tuple[float, float]] = {
    "soft-tissue": (40.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
}
DEFAULT_WINDOW = "soft-tissue"
WINDOW_LABELS = {"soft-tissue": "Soft tissue / abdomen (40, 400)", "lung": "Lung (-600, 1500)",
                 "bone": "Bone (400, 1800)", "brain": "Brain (40, 80)", "custom": "Custom"}
CENTER_RANGE = (-2000.0, 4000.0)  # accepted window centres, HU
WIDTH_RANGE = (1.0, 8000.0)  # accepted window widths, HU
BUILTIN_NAME = "CT_small.dcm"  # pydicom's test slice, in pydicom/data/test_files of its wheel
_SLOPE_BOUND = 1e4  # |slope| and |intercept| beyond these are not plausible rescale values
_INTERCEPT_BOUND = 1e5
_DAMAGED = "The DICOM file is damaged or incomplete and its pixels cannot be read."
_NATIVE = {  # transfer syntax UID -> name, decoded by pydicom with numpy alone
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    "1.2.840.10008.1.2.5": "RLE Lossless",
}


def is_dicom(data: bytes) -> bool:
    """Whether the bytes start like a DICOM Part 10 file: a 128-byte preamble and then "DICM"."""
    return len(data) >= 132 and data[128:132] == b"DICM"


def apply_window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Values in [0, 1]: center - width/2 HU and below map to 0, center + width/2 and above to 1, linear between."""
    if not (math.isfinite(center) and math.isfinite(width) and width > 0):
        raise ValueError(f"a window needs a finite centre and a positive width, got ({center}, {width})")
    low = center - width / 2
    return np.clip((np.asarray(hu, dtype=np.float64) - low) / width, 0.0, 1.0)


def _int_field(dataset, keyword: str, default: int | None) -> int | None:
    """An integer header value, or `default` when it is missing or not an integer."""
    value = dataset.get(keyword, default)
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _float_field(dataset, keyword: str):
    """A number of the header, None when missing; a multi-valued entry gives its first value."""
    value = dataset.get(keyword)
    if value is None:
        return None
    try:
        if not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
            value = value[0]
        return float(value)
    except (TypeError, ValueError, IndexError):
        return float("nan")


def _transfer_syntax(data: bytes) -> str:
    """Read the file meta only and return the transfer syntax UID, refusing what cannot be decoded here."""
    from pydicom.filereader import _read_file_meta_info, read_preamble

    stream = io.BytesIO(data)
    try:
        read_preamble(stream, False)
        meta = _read_file_meta_info(stream)
    except Exception:
        raise PhantomError("The DICOM file's header is damaged and cannot be read.") from None
    uid = str(meta.get("TransferSyntaxUID", "")).strip().rstrip("\x00")
    if not uid:
        raise PhantomError("The DICOM file does not say how its data are encoded (no transfer syntax).")
    if uid not in _NATIVE:
        from pydicom.uid import UID

        name = UID(uid).name if UID(uid).is_valid else uid[:64]
        raise PhantomError(f"The DICOM file is encoded as {name}, which cannot be decoded here; export it "
                           "uncompressed (e.g. with gdcmconv --raw or dcmdjpeg).")
    return uid


def read_hu(data: bytes, *, max_bytes: int = MAX_FILE_BYTES,
            max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, list[str]]:
    """The pixels of one single-frame greyscale DICOM slice in Hounsfield units (float64), with notes.

    Raises
    ------
    PhantomError
        Empty, too large, not DICOM, without pixel data, compressed, multi-frame, colour, too many or too few
        pixels, or damaged; the message says which.
    """
    if len(data) == 0:
        raise PhantomError("The file is empty.")
    if len(data) > max_bytes:
        raise PhantomError(f"The file has {len(data) / 1e6:.1f} MB; files up to {max_bytes / 1e6:.0f} MB are "
                           "accepted.")
    if not is_dicom(data):
        raise PhantomError("This file is not a DICOM file (no 'DICM' marker after its 128-byte preamble).")
    uid = _transfer_syntax(data)
    from pydicom import dcmread

    try:
        dataset = dcmread(io.BytesIO(data), force=False)
    except Exception:
        raise PhantomError(_DAMAGED) from None
    if "PixelData" not in dataset:
        other = "float " if ("FloatPixelData" in dataset or "DoubleFloatPixelData" in dataset) else ""
        raise PhantomError(f"The DICOM file has no {other}pixel data that can be read here: it may be cut short, "
                           "or hold a report or a float image rather than a CT slice.")
    frames = _int_field(dataset, "NumberOfFrames", 1)
    samples = _int_field(dataset, "SamplesPerPixel", 1)
    rows, cols = _int_field(dataset, "Rows", None), _int_field(dataset, "Columns", None)
    if frames is None or frames != 1:
        raise PhantomError(f"The DICOM file holds {frames} frames; one slice (a single frame) is needed.")
    if samples != 1:
        colour = str(dataset.get("PhotometricInterpretation", "colour")).strip()[:24] or "colour"
        raise PhantomError(f"The DICOM image is {colour} with {samples} samples per pixel; a greyscale CT slice "
                           "is needed.")
    if rows is None or cols is None or rows <= 0 or cols <= 0:
        raise PhantomError("The DICOM file does not give a valid image size (Rows and Columns).")
    if rows * cols > max_pixels:
        raise PhantomError(f"The DICOM image is {cols} x {rows} pixels; at most {max_pixels:,} pixels are accepted.")
    if min(rows, cols) < MIN_SIDE:
        raise PhantomError(f"The DICOM image is {cols} x {rows} pixels; it needs at least {MIN_SIDE} pixels on "
                           "each side.")
    if _int_field(dataset, "BitsAllocated", None) not in (1, 8, 16, 32):
        raise PhantomError("The DICOM file gives no usable pixel depth (Bits Allocated).")
    try:
        pixels = np.asarray(dataset.pixel_array, dtype=np.float64)
    except Exception:
        raise PhantomError(_DAMAGED) from None
    if pixels.shape != (rows, cols):
        raise PhantomError(f"The DICOM pixel data have shape {pixels.shape}; one {cols} x {rows} slice was expected.")
    if not np.isfinite(pixels).all():
        raise PhantomError(_DAMAGED)
    notes: list[str] = []
    if uid == "1.2.840.10008.1.2.5":
        notes.append("The RLE-compressed pixel data were decoded.")
    slope, intercept = _float_field(dataset, "RescaleSlope"), _float_field(dataset, "RescaleIntercept")
    if slope is None and intercept is None:
        notes.append("The file gives no rescale slope or intercept; its pixel values were taken as Hounsfield units.")
        slope, intercept = 1.0, 0.0
    else:
        slope = 1.0 if slope is None else slope
        intercept = 0.0 if intercept is None else intercept
        if not (math.isfinite(slope) and 0 < abs(slope) <= _SLOPE_BOUND
                and math.isfinite(intercept) and abs(intercept) <= _INTERCEPT_BOUND):
            notes.append("The file's rescale slope or intercept is not plausible; its pixel values were taken as "
                         "Hounsfield units.")
            slope, intercept = 1.0, 0.0
    modality = str(dataset.get("Modality", "")).strip()
    if modality and modality != "CT":
        notes.append(f"The file's modality is {modality[:16]}, not CT: its values may not be Hounsfield units.")
    return pixels * slope + intercept, notes


def load_dicom(data: bytes, n: int, *, center: float = WINDOWS[DEFAULT_WINDOW][0],
               width: float = WINDOWS[DEFAULT_WINDOW][1], max_bytes: int = MAX_FILE_BYTES,
               max_pixels: int = MAX_PIXELS) -> tuple[torch.Tensor, list[str]]:
    """A phantom from the bytes of a DICOM CT slice: Hounsfield units, windowed to [0, 1], centre square, n x n.

    Parameters
    ----------
    data : bytes
        The file's contents (untrusted).
    n : int
        Side of the returned image in pixels.
    center, width : float
        The display window in HU: center - width/2 becomes 0, center + width/2 becomes 1.
    max_bytes, max_pixels : int
        Largest accepted file size and rows x columns.

    Returns
    -------
    image : torch.Tensor, shape (n, n), float32 in [0, 1]
    notes : list of str
        One sentence per conversion applied, for the user.
    """
    hu, notes = read_hu(data, max_bytes=max_bytes, max_pixels=max_pixels)
    notes.append(f"Hounsfield units {hu.min():.0f} to {hu.max():.0f} were windowed at centre {center:g}, "
                 f"width {width:g} HU to [0, 1].")
    return fit_square(apply_window(hu, center, width), n, notes), notes


def builtin_slice_path() -> Path | None:
    """Where the installed pydicom keeps its CT_small.dcm, or None when this installation has no copy."""
    try:
        path = resources.files("pydicom") / "data" / "test_files" / BUILTIN_NAME
        return Path(str(path)) if path.is_file() else None
    except (ModuleNotFoundError, OSError):
        return None


def ct_slice(n: int, center: float = WINDOWS[DEFAULT_WINDOW][0],
             width: float = WINDOWS[DEFAULT_WINDOW][1]) -> tuple[torch.Tensor, list[str]]:
    """The built-in real CT slice (pydicom's CT_small.dcm) windowed and resized to n x n, with notes.

    Raises PhantomError when the installed pydicom does not ship the file (it is never downloaded).
    """
    path = builtin_slice_path()
    if path is None:
        raise PhantomError(f"The built-in CT slice ({BUILTIN_NAME} of pydicom) is not installed here.")
    return load_dicom(path.read_bytes(), n, center=center, width=width)


def ct_slice_phantom(n: int) -> torch.Tensor:
    """The built-in CT slice at side n in the default soft-tissue window (what ``phantom="ct-slice"`` means)."""
    return ct_slice(n)[0]
