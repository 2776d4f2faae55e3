"""Faults: killed builds, concurrent builds, corrupt indexes, unwritable or full disks,
bad corpus files. Each leaves a usable index and a message that says what to do."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from index import build_index, open_snapshot
from index.build import GC_PENDING, build_lock
from index.snapshot import read_current
from policyqa.errors import BuildLockedError, IndexCorruptError, PolicyQAError

REBUILD = "policyqa index build --rebuild"


def write_variant(folder: Path, variant: str, make_doc, text_for) -> None:
    """Two versions of one corpus: B changes every document of A, drops one, adds two."""
    shutil.rmtree(folder, ignore_errors=True)
    for n in expected_ids(variant):
        seed = n if variant == "A" else n + 100
        make_doc(folder, f"doc{n}.md", f"doc-{n}", text_for(seed, sentences=30))


def expected_ids(variant: str) -> list[int]:
    return list(range(8)) if variant == "A" else [*range(1, 8), 8, 9]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to pid."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(") ", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_killed_builds_leave_a_usable_index_and_the_next_build_completes(
    zygote, tmp_path, settings_for, make_doc, text_for, assert_consistent
):
    corpus = tmp_path / "corpus"
    write_variant(corpus, "A", make_doc, text_for)
    settings = settings_for(corpus)
    build_index(settings)
    snap = assert_consistent(settings)
    hashes = {"A": dict(snap.doc_hashes)}
    write_variant(corpus, "B", make_doc, text_for)
    current, target = "A", "B"
    rng = random.Random(1234)
    outcomes = []

    for point in ["random", "random", "random", "mid-upsert", "before-commit", "before-swap"]:
        before = read_current(settings.index_dir)
        if point == "random":
            child = zygote.start(settings)
            child.wait_for(lambda e: e["stage"] == "embedding")
            time.sleep(rng.uniform(0.0, 1.5))  # somewhere in embedding or storing
        else:
            child = zygote.start(settings, pause_at=point)
            child.wait_for(lambda e, p=point: e["stage"] == p)
            if point == "before-commit":
                # A second build while this one holds the lock is refused, naming the holder.
                with pytest.raises(BuildLockedError, match=f"pid {child.pid}"):
                    build_index(settings)
        child.kill()
        outcomes.append((point, child.events()[-1]["stage"]))

        snap = assert_consistent(settings, exact=False)  # readable, every chunk in Chroma
        if snap.generation == before.generation:  # the old generation, untouched
            assert snap.doc_hashes == hashes[current]
            assert snap.chunk_ids() == before.chunk_ids()
        else:  # the kill came after the commit: the new generation, whole
            assert point == "random" and snap.generation > before.generation
            assert sorted(snap.documents) == sorted(f"doc-{n}" for n in expected_ids(target))
            hashes[target] = dict(snap.doc_hashes)
            current, target = target, current
            write_variant(corpus, target, make_doc, text_for)

    # Each pause point was reached and killed there.
    assert [o for o in outcomes if o[0] != "random"] == [
        ("mid-upsert", "mid-upsert"),
        ("before-commit", "before-commit"),
        ("before-swap", "before-swap"),
    ]

    report = build_index(settings)  # completes the interrupted change
    assert report.changed and report.deleted_vectors >= 0
    snap = assert_consistent(settings, exact=True)
    assert sorted(snap.documents) == sorted(f"doc-{n}" for n in expected_ids(target))
    assert not any(".tmp-" in p.name for p in (settings.index_dir / "snapshots").iterdir())
    assert not (settings.index_dir / GC_PENDING).exists()

    # Killed after its commit, before deleting the replaced vectors: the new generation
    # is in place, the garbage is swept by the next build even though nothing changed.
    current, target = target, current
    write_variant(corpus, target, make_doc, text_for)
    child = zygote.start(settings, pause_at="before-sweep")
    child.wait_for(lambda e: e["stage"] == "before-sweep")
    child.kill()
    snap = assert_consistent(settings, exact=False)
    assert snap.generation == report.generation + 1
    from index.store import VectorStore

    garbage = VectorStore(settings, snap.collection, snap.dim).count() - len(snap.chunks)
    assert garbage > 0 and (settings.index_dir / GC_PENDING).exists()
    again = build_index(settings)
    assert not again.changed and again.embedded_chunks == 0
    assert again.deleted_vectors == garbage
    assert_consistent(settings, exact=True)
    assert not (settings.index_dir / GC_PENDING).exists()


def test_parallel_embedding_workers_die_with_a_killed_build(zygote, small_corpus, settings_for):
    settings = settings_for(small_corpus, embed_workers=2)
    child = zygote.start(settings, parallel_min=1)
    child.wait_for(lambda e: e["stage"] == "embedding")
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not workers:
        workers = {p for p in descendants(child.pid) if "spawn_main" in cmdline(p)}
        time.sleep(0.05)
    assert workers, "no embedding worker was started"
    child.kill()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if Path(f"/proc/{p}").exists()], "orphaned embedding workers"


def test_lock_refuses_a_concurrent_build(small_corpus, settings_for):
    settings = settings_for(small_corpus)
    settings.index_dir.mkdir(parents=True)
    with build_lock(settings.index_dir):
        with pytest.raises(BuildLockedError, match=f"another index build is running \\(pid {os.getpid()}\\)"):
            build_index(settings)
    assert read_current(settings.index_dir) is None  # nothing was written


# --- corrupt or mismatched index --------------------------------------------------------------


@pytest.fixture
def built(small_corpus, settings_for):
    settings = settings_for(small_corpus)
    build_index(settings)
    return settings


def snapshot_dir(settings) -> Path:
    return settings.index_dir / "snapshots" / (settings.index_dir / "CURRENT").read_text().strip()


CORRUPTIONS = {
    "garbage snapshot.json": lambda s: (snapshot_dir(s) / "snapshot.json").write_bytes(b"\x00\xffnot json{"),
    "truncated snapshot.json": lambda s: (snapshot_dir(s) / "snapshot.json").write_text(
        (snapshot_dir(s) / "snapshot.json").read_text()[:500]
    ),
    "wrong format_version": lambda s: (snapshot_dir(s) / "snapshot.json").write_text(
        json.dumps({**json.loads((snapshot_dir(s) / "snapshot.json").read_text()), "format_version": 99})
    ),
    "snapshot.json is a list": lambda s: (snapshot_dir(s) / "snapshot.json").write_text("[1, 2]"),
    "missing field": lambda s: (snapshot_dir(s) / "snapshot.json").write_text(
        json.dumps(
            {k: v for k, v in json.loads((snapshot_dir(s) / "snapshot.json").read_text()).items() if k != "chunks"}
        )
    ),
    "BM25 files gone": lambda s: shutil.rmtree(snapshot_dir(s) / "bm25"),
    "CURRENT names a missing generation": lambda s: (s.index_dir / "CURRENT").write_text("gen-999999\n"),
    "CURRENT is garbage": lambda s: (s.index_dir / "CURRENT").write_bytes(b"\xff\xfe../../etc\n"),
}


@pytest.mark.parametrize("damage", list(CORRUPTIONS))
def test_corrupt_index_names_the_rebuild_command(built, damage):
    CORRUPTIONS[damage](built)
    with pytest.raises(IndexCorruptError) as err:
        open_snapshot(built)
    assert REBUILD in str(err.value)
    if damage == "wrong format_version":
        # Another version's index: a plain build replaces it (an upgrade needs no flag).
        assert "format 99" in str(err.value)
        assert build_index(built).changed and open_snapshot(built)
        return
    # A plain build refuses otherwise (it would diff against garbage), with the same advice.
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        build_index(built)


@pytest.mark.parametrize("damage", ["English-model vectors gone", "garbage companion.json"])
def test_damaged_english_model_vectors_name_the_rebuild_command(mixed_corpus, settings_for, damage):
    """A mixed collection's English chunks carry English-model vectors (index/companion.py);
    a snapshot that lost them is as corrupt as one that lost its BM25."""
    settings = settings_for(mixed_corpus)
    build_index(settings)
    assert open_snapshot(settings).companion is not None
    if damage == "English-model vectors gone":
        (snapshot_dir(settings) / "companion-sentences.npz").unlink()
    else:
        (snapshot_dir(settings) / "companion.json").write_bytes(b"\x00{not json")
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_snapshot(settings)
    assert build_index(settings, rebuild=True).changed and open_snapshot(settings).companion is not None


def test_rebuild_repairs_a_corrupt_index(built, assert_consistent, capsys):
    from policyqa.cli import main

    before = open_snapshot(built)
    (snapshot_dir(built) / "snapshot.json").write_text("{broken")
    assert main(["--data-dir", str(built.data_dir), "index", "status", "--corpus", str(built.corpus_dir)]) == 2
    assert REBUILD in capsys.readouterr().err
    report = build_index(built, rebuild=True)
    assert report.changed and report.embedded_chunks == report.chunks
    snap = assert_consistent(built, exact=True)
    assert snap.generation > before.generation  # never reuses the broken generation's number
    assert snap.chunk_ids() == before.chunk_ids()  # same content, same ids: nothing duplicated


def test_missing_index_says_to_build(tmp_path):
    from index.snapshot import open_snapshot as open_
    from policyqa.errors import IndexMissingError
    from policyqa.settings import Settings

    with pytest.raises(
        IndexMissingError, match=f"is not indexed yet .* run `policyqa index build --corpus {tmp_path}` first"
    ):
        open_(Settings(data_dir=tmp_path / "nothing", corpus_dir=tmp_path))


# --- the data directory cannot be written -----------------------------------------------------


def test_data_dir_under_a_regular_file(small_corpus, settings_for, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    settings = settings_for(small_corpus).override(data_dir=blocker / "data")
    with pytest.raises(PolicyQAError, match="is not writable .*POLICYQA_DATA_DIR"):
        build_index(settings)


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (needs root, as in CI); unmounted afterwards."""
    mounts = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); needs root")
        mounts.append(point)
        return point

    yield mount
    import gc

    from index.store import _forget_cached_system

    for point in mounts:
        for chroma in point.glob("corpora/*/index/chroma"):
            _forget_cached_system(str(chroma))  # let go of files on the mount
    gc.collect()
    for point in mounts:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_read_only_data_dir(small_corpus, settings_for, tmpfs):
    read_only = tmpfs("ro", "ro,size=1m")
    settings = settings_for(small_corpus).override(data_dir=read_only)
    with pytest.raises(PolicyQAError, match="not writable \\(Read-only file system\\)"):
        build_index(settings)


def test_full_disk_keeps_the_old_index(small_corpus, settings_for, tmpfs, make_doc, text_for, assert_consistent):
    disk = tmpfs("disk", "size=6m")
    settings = settings_for(small_corpus).override(data_dir=disk)
    build_index(settings)
    before = assert_consistent(settings)

    # Completely full: refused up front.
    ballast = disk / "ballast"
    with open(ballast, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    for n in range(3, 9):  # enough new text that its vectors and snapshot cannot fit
        make_doc(small_corpus, f"new{n}.md", f"new-{n}", text_for(n + 500, sentences=25))
    with pytest.raises(PolicyQAError, match="No space left on device"):
        build_index(settings)

    # Nearly full: the build gets further and fails while writing; still a clear error.
    with open(ballast, "r+b") as fh:
        fh.truncate(os.path.getsize(ballast) - 64 * 1024)
    with pytest.raises(PolicyQAError) as err:
        build_index(settings)
    assert "No space left on device" in str(err.value) or "full" in str(err.value).lower()

    # Nothing was lost: the old generation still answers, complete.
    after = assert_consistent(settings, exact=False)
    assert after.generation == before.generation and after.chunk_ids() == before.chunk_ids()

    ballast.unlink()  # space again: the next build completes
    report = build_index(settings)
    assert report.changed and len(report.added) == 6
    assert_consistent(settings, exact=True)


# --- bad corpus files ------------------------------------------------------------------------


def test_bad_files_are_reported_and_the_build_goes_on(corpus_dir, settings_for, assert_consistent, capsys):
    from policyqa.cli import main

    (corpus_dir / "empty.md").write_bytes(b"")
    (corpus_dir / "binary.txt").write_bytes(os.urandom(4096) + b"\x00")
    (corpus_dir / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (corpus_dir / "huge.md").write_bytes(b"Policy text. " * 1_600_000)  # 20.8 MB
    shutil.copy(corpus_dir / "miit-first-batch-13.md", corpus_dir / "zz-copy-of-first-batch.md")
    (corpus_dir / "bad-front-matter.md").write_text("---\ntitle: 'open\n---\nA rule about cloud services.\n")
    (corpus_dir / "broken.html").write_text("<html><body><p>Data centre rules <b>open<div>to foreign firms.")
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n")
    settings = settings_for(corpus_dir)

    assert main(["--data-dir", str(settings.data_dir), "index", "build", "--corpus", str(corpus_dir)]) == 0
    out = capsys.readouterr().out
    for line in [
        "skipped: empty.md: empty file",
        "skipped: binary.txt: looks like a binary file",
        "warning: latin1.txt: not UTF-8: read as cp1252",
        "skipped: huge.md: 20.8 MB is over the 10 MB limit",
        "skipped: zz-copy-of-first-batch.md: same text as miit-first-batch-13.md",
        "warning: bad-front-matter.md: front matter ignored",
        "skipped: broken.pdf: not a readable PDF",
    ]:
        assert line in out, line
    snap = assert_consistent(settings)
    assert sorted(snap.documents) == sorted(
        [
            "bad-front-matter",
            "broken",
            "foreign-firms-166-approved",
            "gt-miit-pilot-approvals",
            "latin1",
            "miit-first-batch-13",
            "miit-pilot-four-areas",
            "new-measures-20-cities",
        ]
    )
    assert "8 documents" in out


def test_a_corpus_with_nothing_loadable_leaves_the_index_alone(settings_for, tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "leave.md").write_text("# Leave\n\nStaff get 25 days of annual leave a year.\n", encoding="utf-8")
    settings = settings_for(folder)
    build_index(settings)
    before = open_snapshot(settings)
    (folder / "leave.md").write_bytes(b"")
    with pytest.raises(PolicyQAError, match="no documents could be loaded .* left as it was\n  skipped: leave.md"):
        build_index(settings)
    assert open_snapshot(settings).chunk_ids() == before.chunk_ids()
    with pytest.raises(PolicyQAError, match="does not exist"):
        build_index(settings.override(corpus_dir=tmp_path / "typo"))


def test_a_store_opened_again_sees_what_another_process_built(zygote, small_corpus, settings_for, make_doc, text_for):
    """Embedded Chroma caches its vector index per process; reopening must not reuse it."""
    from index.store import VectorStore

    settings = settings_for(small_corpus)
    build_index(settings)
    first = open_snapshot(settings)
    before = VectorStore(settings, first.collection, first.dim)
    probe = before.vectors([first.chunks[0].id])[first.chunks[0].id]
    assert before.query(probe, 1)[0].id == first.chunks[0].id  # HNSW loaded in this process

    (small_corpus / "doc0.md").unlink()  # another process replaces doc-0 by doc-7
    make_doc(small_corpus, "doc7.md", "doc-7", text_for(7))
    child = zygote.start(settings)
    child.wait_for(lambda e: e["stage"] == "finished")

    snap = open_snapshot(settings)
    after = VectorStore(settings, snap.collection, snap.dim)
    new = [c for c in snap.chunks if c.doc_id == "doc-7"]
    vectors = after.vectors([c.id for c in new])
    for chunk in new:
        hits = after.query(vectors[chunk.id], 3)
        assert hits[0].id == chunk.id
    hits = {h.id for h in after.query(probe, len(snap.chunks))}
    assert hits <= snap.chunk_ids(), "a deleted chunk came back from the vector index"
