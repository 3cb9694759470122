"""Images are decoded and written again with Pillow: EXIF (GPS, camera, time), XMP and
comments are left behind, the orientation the camera recorded is applied to the pixels
first so the picture still looks the same, and a file that does not decode as the type
its bytes claim is refused."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from evcare.core.errors import FieldError, ValidationFailed

# Beyond this a small compressed file can decode into gigabytes (a "decompression bomb").
MAX_PIXELS = 40_000_000
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF"}
# What a re-encoded image keeps from the original's info: how it is drawn, nothing more.
_ORIENTATION = 0x0112
_KEEP = ("transparency", "duration", "loop", "background", "icc_profile", "dpi")


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(f"file: {message}", fields=[FieldError("file", message)])


def clean_image(source: Path, target: Path, *, content_type: str) -> int:
    """Write ``source`` to ``target`` without its metadata; returns the new size."""
    expected = _FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refuse(f"must be at most {MAX_PIXELS // 1_000_000} megapixels")
                _save(image, target, expected)
    except ValidationFailed:
        target.unlink(missing_ok=True)
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        UnidentifiedImageError,
    ) as error:
        target.unlink(missing_ok=True)
        raise _refuse("is not a readable image") from error
    return target.stat().st_size


def _save(image: Image.Image, target: Path, fmt: str) -> None:
    kept: dict[str | tuple[int, int], Any] = {
        key: image.info[key] for key in _KEEP if key in image.info
    }
    if fmt == "GIF":
        image.info = kept
        frames = getattr(image, "n_frames", 1)
        image.save(target, format="GIF", save_all=frames > 1, comment=b"")
        return
    # Orientation 1 (or none): the pixels are upright already and the original is saved.
    turned = image.getexif().get(_ORIENTATION, 1) not in (1, None)
    upright = ImageOps.exif_transpose(image) if turned else image
    upright.info = kept
    if fmt == "JPEG":
        # "keep" reuses the original's quantisation tables: no visible loss, same size.
        quality: int | str = "keep" if upright is image else 90
        upright.save(target, format="JPEG", quality=quality, comment=b"")
    else:
        upright.save(target, format="PNG")
