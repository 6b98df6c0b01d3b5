"""Build zip-bomb documents for the upload-limit benchmark and tests (a few MB on disk).

The bomb member is deflate data written once per MiB block with a full flush, so the same
compressed block repeats: 2 GiB of unpacked XML costs ~2 MB and well under a second.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_BLOCK = 1 << 20
_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOC_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Fuel pump overhaul</w:t></w:r></w:p><w:p><w:r><w:t>"
)
_DOC_TAIL = b"</w:t></w:r></w:p></w:body></w:document>"


def _deflate_repeated(head: bytes, filler: bytes, blocks: int, tail: bytes) -> tuple[bytes, int]:
    """Return raw deflate data of head + filler * blocks + tail, and its CRC-32."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)]
    one = comp.compress(filler) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(filler, crc)
    parts.append(one * blocks)
    parts.append(comp.compress(tail) + comp.flush(zlib.Z_FINISH))
    return b"".join(parts), zlib.crc32(tail, crc)


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """Write a zip of pre-deflated members: (name, deflate data, crc, unpacked size)."""
    central = b""
    with path.open("wb") as out:
        for name, data, crc, size in members:
            offset = out.tell()
            raw = name.encode()
            out.write(
                struct.pack(
                    "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(raw), 0
                )
            )
            out.write(raw)
            out.write(data)
            central += (
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    20,
                    0,
                    8,
                    0,
                    0,
                    crc,
                    len(data),
                    size,
                    len(raw),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + raw
            )
        start = out.tell()
        out.write(central)
        out.write(
            struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0
            )
        )


def _small(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data)


_PARAGRAPH = (
    b"</w:t></w:r></w:p><w:p><w:r><w:t>Check the fuel pump seals and the injector lines "
    b"for leaks after every overhaul of the main engine."
)


def build_docx_bomb(
    path: str | Path,
    unpacked_mib: int = 2048,
    *,
    paragraphs: bool = False,
    pages: int | None = None,
) -> Path:
    """Write a DOCX whose word/document.xml unpacks to about `unpacked_mib` MiB.

    The filler is one long run of text, or with `paragraphs` short paragraphs (what makes
    a parser build millions of elements); `pages` writes that page count into
    docProps/app.xml as Word does.
    """
    target = Path(path)
    unit = _PARAGRAPH if paragraphs else b"A"
    filler = unit * (_BLOCK // len(unit))
    data, crc = _deflate_repeated(_DOC_HEAD, filler, unpacked_mib, _DOC_TAIL)
    size = len(_DOC_HEAD) + unpacked_mib * len(filler) + len(_DOC_TAIL)
    if size >= 1 << 32:
        raise ValueError("the zip writer here has no zip64: keep the bomb under 4 GiB")
    members = [
        _small("[Content_Types].xml", _CONTENT_TYPES),
        _small("_rels/.rels", _RELS),
        ("word/document.xml", data, crc, size),
    ]
    if pages is not None:
        app = f"<Properties><Pages>{pages}</Pages></Properties>".encode()
        members.append(_small("docProps/app.xml", app))
    _write_zip(target, members)
    return target
