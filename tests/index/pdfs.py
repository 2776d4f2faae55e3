"""Hand-written PDFs for the loader's tests: the objects given, serialised with a valid
cross-reference table."""

from __future__ import annotations


def pdf_string(text: str, encoding: str = "latin-1") -> str:
    """`text` as the bytes of `encoding` (the font's), with PDF string escapes."""
    text = text.encode(encoding).decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_file(objects: list[str], trailer: str = "") -> bytes:
    """A PDF of these objects (numbered from 1; object 1 the catalog), `trailer` added to
    its trailer dictionary (e.g. "/Info 6 0 R")."""
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    extra = f" {trailer}" if trailer else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{extra} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
