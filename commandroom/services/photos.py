"""Checking a photo or attachment before anyone stores it: the one rule for the desk and the server.

Photos are JPEG or PNG (checked by their first bytes and by decoding them), at most 10 MB; the thumbnail
applies the EXIF orientation, so a phone photo taken upright shows upright. Attachments of one-thing
cases may also be documents, at most 20 MB: PDF (it must end with its ``%%EOF``: a file cut short is refused),
Word / Excel / PowerPoint (the zip-based .docx/.xlsx/.pptx, opened and looked into, and the older
.doc/.xls/.ppt by their compound-file header). A refusal says, in the officer's words, what is wrong and
what to do; nothing is stored before the check passes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
THUMB_PX = 320
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the older Office files (.doc, .xls, .ppt)
OOXML = {  # the folder inside a .docx/.xlsx/.pptx → its type
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE_MIME = "application/vnd.ms-office"
DOCUMENT_WORDS = "JPEG、PNG 照片，PDF 或 Word、Excel、PowerPoint 文件"


def limit_for(documents: bool) -> int:
    """The largest file accepted: photos 10 MB, attachments of one-thing cases 20 MB."""
    return MAX_DOCUMENT_BYTES if documents else MAX_BYTES


def is_image(mime: str) -> bool:
    return mime.startswith("image/")
# the argument names of mutations that carry photo / attachment hashes (the server checks they are stored)
PHOTO_ARGS = ("photos", "photos_before", "photos_after", "attachments")


class PhotoError(Exception):
    """A photo was refused: ``status`` (400/413) and a message saying why, in the officer's words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sniff_mime(data: bytes, *, documents: bool = False) -> str | None:
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if documents and data.startswith(PDF_MAGIC):
        return "application/pdf"
    if documents and data.startswith(OLE_MAGIC):
        return OLE_MIME
    if documents and data.startswith(ZIP_MAGIC):
        return "application/zip"  # which Office type: :func:`_office_type` looks inside
    return None


def _office_type(data: bytes, what: str) -> str:
    """The type of a zip-based Office file, or :class:`PhotoError` when it is another zip or a broken one."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            if "[Content_Types].xml" not in names:
                raise PhotoError(400, f"{what}是压缩包，不是 Word、Excel 或 PowerPoint 文件，未保存；"
                                      f"请选择 {DOCUMENT_WORDS}。")
            bad = z.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(bad)
    except PhotoError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise PhotoError(400, f"{what}已损坏，无法打开，未保存；请重新导出或选择原文件。") from None
    for folder, mime in OOXML.items():
        if any(n.startswith(folder) for n in names):
            return mime
    raise PhotoError(400, f"{what}不是 Word、Excel 或 PowerPoint 文件，未保存；请选择 {DOCUMENT_WORDS}。")


@dataclass
class Prepared:
    """A checked file, ready to be stored: bytes, hash, type, size and (for an image) thumbnail."""

    data: bytes
    sha256: str
    mime: str
    width: int | None
    height: int | None
    thumbnail: bytes | None


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def prepare(data: bytes, *, name: str = "", documents: bool = False, expected_sha256: str | None = None) -> Prepared:
    """Check one upload and make its thumbnail; raises :class:`PhotoError` saying what is wrong.

    ``expected_sha256``: the hash the sender named the file by; a file that does not match it was damaged
    on the way and is refused.
    """
    what = f"“{name}”" if name else ("附件" if documents else "照片")
    if not data:
        raise PhotoError(400, f"{what}是空文件，请重新选择。")
    limit = limit_for(documents)
    if len(data) > limit:
        raise PhotoError(413, f"{what}有 {_mb(len(data))}，超过 {limit // 1048576} MB 上限；请压缩后再上传。")
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and expected_sha256.lower() != digest:
        raise PhotoError(400, f"{what}的内容与其编号不符（传输中损坏），未保存；请重新上传。")
    mime = sniff_mime(data, documents=documents)
    if mime is None:
        allowed = DOCUMENT_WORDS if documents else "JPEG 或 PNG 照片"
        raise PhotoError(400, f"{what}不是 {allowed}，未保存；请选择 {allowed}。")
    if mime == "application/pdf" and b"%%EOF" not in data[-2048:]:
        raise PhotoError(400, f"{what}不完整（PDF 文件缺少结尾，可能未下载完或已损坏），未保存；请选择完整的原文件。")
    if mime == "application/zip":
        mime = _office_type(data, what)
    if not is_image(mime):
        return Prepared(data=data, sha256=digest, mime=mime, width=None, height=None, thumbnail=None)
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            width, height = img.size
            if width * height > 80_000_000:
                raise PhotoError(400, f"{what}有 {width}×{height} 像素，过大；请缩小后再上传。")
            thumb = ImageOps.exif_transpose(img) or img
            if thumb.mode not in ("RGB", "L"):
                background = Image.new("RGB", thumb.size, (255, 255, 255))
                rgba = thumb.convert("RGBA")
                background.paste(rgba, mask=rgba.split()[-1])
                thumb = background
            thumb = thumb.copy()
            width, height = thumb.size  # as shown: after the EXIF orientation
            thumb.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            thumb.save(out, format="JPEG", quality=80, optimize=True)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoError(400, f"{what}已损坏，无法作为 {mime.split('/')[1].upper()} 图片打开，未保存；"
                              "请重新拍摄或选择原图。") from None
    return Prepared(data=data, sha256=digest, mime=mime, width=width, height=height, thumbnail=out.getvalue())


def photo_hashes(args: dict) -> list[str]:
    """Every photo / attachment hash a mutation's arguments name."""
    out: list[str] = []
    for key in PHOTO_ARGS:
        value = args.get(key)
        if isinstance(value, list):
            out.extend(h.lower() for h in value if isinstance(h, str))
    return list(dict.fromkeys(out))
