"""Upload storage: type and content checks, size limit, safe names, no overwriting."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from index.uploads import UPLOADS_SUBDIR, check_content, safe_name, save_uploads, store

MB = 1_000_000


@pytest.mark.parametrize(
    "original, expected",
    [
        ("report.md", "report.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.TXT", "evil.txt"),
        ("/abs/path/notes.html", "notes.html"),
        (".hidden.md", "hidden.md"),
        ("spaces and ünïcödé.md", "spaces-and-unicode.md"),
        ("", "document"),
        ("..", "document"),
        ("a" * 300 + ".pdf", "a" * 80 + ".pdf"),
        ("weird;rm -rf $(x).md", "weird-rm-rf-x.md"),
    ],
)
def test_safe_name(original, expected):
    assert safe_name(original) == expected


def test_content_checks():
    assert check_content("a.md", b"# hi", MB) is None
    assert check_content("a.html", b"<p>hi</p>", MB) is None
    assert check_content("a.pdf", b"%PDF-1.7 ...", MB) is None
    assert "unsupported" in check_content("a.exe", b"MZ", MB)
    assert "unsupported" in check_content("noext", b"text", MB)
    assert "empty" in check_content("a.txt", b"", MB)
    assert "over the 1 MB" in check_content("a.txt", b"x" * (MB + 1), MB)
    assert "not a PDF" in check_content("a.pdf", b"hello", MB)
    assert "binary" in check_content("a.txt", b"%PDF-1.4 renamed", MB)
    assert "binary" in check_content("a.md", b"abc\x00def", MB)
    assert check_content("a.txt", "café crème".encode("latin-1"), MB) is None  # read as Windows-1252
    assert check_content("a.html", "<p>Gebühr</p>".encode("utf-16"), MB) is None  # a byte-order mark
    assert "not text" in check_content("a.txt", bytes(range(128, 256)) * 8, MB)
    assert "no HTML" in check_content("a.html", b"just words", MB)
    assert check_content("a.docx", b"PK\x03\x04 ...", MB) is None  # Office Open XML is a ZIP archive
    assert "not a Word .docx" in check_content("a.docx", b"\xd0\xcf\x11\xe0 an old binary .doc", MB)


def test_save_uploads_never_overwrites_and_stays_inside(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / UPLOADS_SUBDIR).mkdir(parents=True)
    existing = corpus / UPLOADS_SUBDIR / "note.md"
    existing.write_text("original")
    src = tmp_path / "src"
    src.mkdir()
    files = []
    for n, (name, data) in enumerate(
        [
            ("note.md", b"one"),
            ("../../note.md", b"two"),
            ("bad.exe", b"x"),
            ("big.txt", b"x" * 2000),
            ("fake.pdf", b"nope"),
        ]
    ):
        path = src / f"f{n}"
        path.write_bytes(data)
        files.append((name, path))
    result = save_uploads(files, corpus, max_bytes=1000)
    assert existing.read_text() == "original"
    assert [s.path.name for s in result.saved] == ["note-2.md", "note-3.md"]
    assert all(s.path.parent == corpus / UPLOADS_SUBDIR for s in result.saved)
    assert [s.path.read_bytes() for s in result.saved] == [b"one", b"two"]
    assert sorted(r.original for r in result.rejected) == ["bad.exe", "big.txt", "fake.pdf"]
    # nothing else was written anywhere, and no temporary files are left
    assert sorted(p.name for p in (corpus / UPLOADS_SUBDIR).iterdir()) == ["note-2.md", "note-3.md", "note.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "src"]


def test_concurrent_stores_of_one_name_all_survive(tmp_path):
    results: list[Path] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        path = store("same.txt", f"copy {n}".encode(), tmp_path)
        with lock:
            results.append(path)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p.name for p in results}) == 16
    assert sorted(p.read_text() for p in results) == sorted(f"copy {n}" for n in range(16))
