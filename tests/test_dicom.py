"""Real CT slices from DICOM: the built-in slice, Hounsfield units and windows, and files that must be refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless,
                         generate_uid)

from explorer import ct
from explorer.imaging import dicom
from explorer.imaging.dicom import WINDOWS, apply_window, builtin_slice_path, ct_slice, is_dicom, load_dicom, read_hu
from explorer.imaging.phantoms import PhantomError


def _file(pixels: np.ndarray | None = None, *, syntax=ExplicitVRLittleEndian, slope=1.0, intercept=-1024.0,
          **header) -> bytes:
    """A DICOM file of one slice (int16 pixels) with the given header values overriding the sane ones."""
    pixels = np.arange(32 * 48, dtype=np.int16).reshape(32, 48) if pixels is None else pixels
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.Modality = "CT"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    if slope is not None:
        ds.RescaleSlope = slope
    if intercept is not None:
        ds.RescaleIntercept = intercept
    ds.PixelData = pixels.astype("<i2").tobytes()
    for key, value in header.items():
        if value is None:
            delattr(ds, key)
        else:
            setattr(ds, key, value)
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=False, little_endian=True, enforce_file_format=True)
    return buffer.getvalue()


def _refused(data: bytes, **kwargs) -> str:
    with pytest.raises(PhantomError) as info:
        load_dicom(data, 32, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# The built-in slice.

def test_the_builtin_slice_is_found_inside_the_installed_package() -> None:
    path = builtin_slice_path()
    assert path is not None and path.name == "CT_small.dcm" and "pydicom" in path.parts
    assert is_dicom(path.read_bytes())


def test_the_builtin_slice_is_in_hounsfield_units() -> None:
    hu, notes = read_hu(builtin_slice_path().read_bytes())
    assert hu.shape == (128, 128)
    # Air outside the body is near -1000 HU, soft tissue around 0 to 100, bone up to a couple of thousand.
    assert -1100 <= hu.min() <= -800 and 800 <= hu.max() <= 3000
    assert -100 <= float(np.median(hu)) <= 150
    assert notes == []  # the file has a slope and intercept and is CT


@pytest.mark.parametrize("n", [32, 64, 96])
def test_the_builtin_slice_is_windowed_to_n_by_n(n: int) -> None:
    image, notes = ct_slice(n)
    assert image.shape == (n, n) and image.dtype == torch.float32
    assert float(image.min()) == 0.0 and float(image.max()) == pytest.approx(1.0, abs=1e-5)
    assert any("windowed at centre 40, width 400" in note for note in notes)
    lung, _ = ct_slice(n, *WINDOWS["lung"])
    assert float(lung.mean()) > float(image.mean())  # a wide window centred low shows more grey, less black


def test_a_ct_slice_phantom_makes_a_ct_problem() -> None:
    settings = ct.ProblemSettings(n=32, phantom="ct-slice")
    truth = ct.make_phantom(settings)
    assert torch.equal(truth, ct_slice(32)[0])
    model = ct.forward_model(settings)
    assert model.y.shape[-2] == settings.operator_params()["n_angles"] and np.isfinite(model.reference_psnr)


def test_a_missing_builtin_slice_is_refused_never_downloaded(monkeypatch) -> None:
    monkeypatch.setattr(dicom, "builtin_slice_path", lambda: None)
    with pytest.raises(PhantomError, match="not installed"):
        ct_slice(32)


# Hounsfield units and windows.

def test_slope_and_intercept_give_hounsfield_units_and_the_window_maps_linearly() -> None:
    pixels = np.array([[0, 500, 1000, 1064, 1074, 1224]] * 16, dtype=np.int16)
    pixels = np.tile(pixels, (1, 3))  # 16 x 18
    hu, notes = read_hu(_file(pixels, slope=1.0, intercept=-1024.0))
    assert hu[0, :6].tolist() == [-1024, -524, -24, 40, 50, 200]
    assert notes == []
    shown = apply_window(hu[0, :6], 40.0, 400.0)  # -160 -> 0, 240 -> 1
    assert shown.tolist() == pytest.approx([0.0, 0.0, 0.34, 0.5, 0.525, 0.9])
    hu2, _ = read_hu(_file(pixels, slope=2.0, intercept=-1000.0))
    assert hu2[0, 1] == 0.0


def test_a_non_square_slice_is_cropped_and_resized() -> None:
    image, notes = load_dicom(_file(), 16)
    assert image.shape == (16, 16)
    assert any("48 x 32" in note and "centre 32 x 32" in note for note in notes)


@pytest.mark.parametrize("slope, intercept", [(1e9, 0.0), (0.0, 0.0), (1.0, 1e12)])
def test_an_absurd_rescale_is_ignored_with_a_note(slope, intercept) -> None:
    hu, notes = read_hu(_file(slope=slope, intercept=intercept))
    assert hu[0, 1] == 1.0  # raw pixel values
    assert any("not plausible" in note for note in notes)


def test_a_missing_rescale_is_noted() -> None:
    hu, notes = read_hu(_file(slope=None, intercept=None))
    assert hu[0, 1] == 1.0 and any("no rescale" in note for note in notes)


def test_rle_compressed_slices_are_decoded() -> None:
    from pydicom import dcmread

    ds = dcmread(io.BytesIO(_file()))
    ds.compress(RLELossless, encoding_plugin="pydicom")
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    hu, notes = read_hu(buffer.getvalue())
    assert hu[0, 1] == 1.0 - 1024 and any("RLE" in note for note in notes)


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError):
        apply_window(np.zeros(3), 40.0, 0.0)
    with pytest.raises(ValueError):
        apply_window(np.zeros(3), float("nan"), 400.0)


# Files that must be refused with one clear sentence.

def test_not_dicom() -> None:
    assert "not a DICOM file" in _refused(b"\x89PNG\r\n\x1a\n" + bytes(400))
    assert "not a DICOM file" in _refused(b"DICM" + bytes(400))  # the marker at the wrong place


def test_empty_and_too_large_files() -> None:
    assert "empty" in _refused(b"")
    assert "MB" in _refused(_file(), max_bytes=1000)


def test_malformed_and_truncated_files() -> None:
    data = builtin_slice_path().read_bytes()
    assert "transfer syntax" in _refused(data[:140])  # the file meta cut before it names its encoding
    assert "no pixel data" in _refused(data[:400]) and "cut short" in _refused(data[:400])
    for cut in (len(data) // 2, len(data) - 200):  # the last 138 bytes are padding after the pixels
        message = _refused(data[:cut])
        assert "damaged" in message or "incomplete" in message
    garbage = bytes(128) + b"DICM" + bytes(range(256)) * 8
    assert "no transfer syntax" in _refused(garbage)  # no file meta group after the marker


def test_no_pixel_data() -> None:
    assert "no pixel data" in _refused(_file(PixelData=None))


def test_multi_frame() -> None:
    assert "3 frames" in _refused(_file(NumberOfFrames=3))


def test_colour() -> None:
    message = _refused(_file(SamplesPerPixel=3, PhotometricInterpretation="RGB"))
    assert "RGB" in message and "3 samples" in message


def test_a_huge_declared_size_is_refused_before_decoding() -> None:
    message = _refused(_file(Rows=60000, Columns=60000))
    assert "60000 x 60000" in message and "at most" in message
    assert "pixels" in _refused(_file(Rows=8, Columns=8))  # too small to hold a slice
    assert "image size" in _refused(_file(Rows=None))


def test_compressed_and_deflated_syntaxes_are_refused_by_name() -> None:
    jpeg = encapsulate([b"\xff\xd8" + bytes(64) + b"\xff\xd9"])
    assert "JPEG Baseline" in _refused(_file(syntax=JPEGBaseline8Bit, PixelData=jpeg))
    assert "Deflated" in _refused(_file(syntax=DeflatedExplicitVRLittleEndian))


def test_pixel_data_shorter_than_the_header_says() -> None:
    assert "damaged" in _refused(_file(Rows=64, Columns=64))  # 64 x 64 declared, 32 x 48 stored
