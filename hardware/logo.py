"""The ticket logo upload: checked before it is decoded, stored small.

A PNG of a few kilobytes can declare 16000×16000 pixels and ask for gigabytes
when decoded (a decompression bomb). So the file's header is read first and its
dimensions checked against a logo's sensible size; only then is it decoded,
reduced to at most 384 dots wide (an 80 mm printer's width) and written as a
greyscale PNG, atomically.
"""
from __future__ import annotations

import io
import os
import tempfile
import warnings

from PIL import Image, UnidentifiedImageError

# A logo wider or taller than this is a mistake or an attack (the printer has 576 dots).
MAX_SIDE = 4096
MAX_PIXELS = 4096 * 2048
PRINT_WIDTH = 384


class LogoError(ValueError):
    """An upload that cannot be a logo; the message says why, for the technician."""


def store_logo(data: bytes, path: str, *, max_bytes: int) -> None:
    """Check, decode, shrink and store ``data`` at ``path``; raises LogoError with the reason."""
    if len(data) > max_bytes:
        raise LogoError(f"The logo must be smaller than {max_bytes // (1024 * 1024) or 1} MB.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own pixel limit; here any bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
            width, height = image.size  # from the header: nothing decoded yet
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise LogoError(f"The logo is {width}×{height} pixels; it must be at most "
                                f"{MAX_SIDE} pixels on each side (384 are printed).")
            if image.format == "JPEG":
                image.draft("L", (PRINT_WIDTH, max(1, height * PRINT_WIDTH // max(1, width))))
            image.load()
    except LogoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoError(f"The logo has far too many pixels; it must be at most {MAX_SIDE} "
                        "pixels on each side (384 are printed).") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise LogoError("The logo must be a PNG or JPEG image.") from None
    grey: Image.Image = image.convert("L")
    if grey.width > PRINT_WIDTH:
        grey = grey.resize((PRINT_WIDTH, max(1, grey.height * PRINT_WIDTH // grey.width)))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".logo-", suffix=".png", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            grey.save(fh, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
