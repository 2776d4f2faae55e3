"""The collection over REST: list and read the indexed documents, and change them.

`GET /v1/documents` lists them, `GET /v1/documents/{id}` gives one with its text (the
text every passage's span points into). `POST /v1/documents` adds files (multipart,
field `files`), `PUT /v1/documents/{id}` replaces one document's file (field `file`, the
same type), `DELETE /v1/documents/{id}` removes one; each returns when the index is
rebuilt, with what was stored, rejected (and why), found already indexed, and what the
build did (index/collection.py, the same change the app's Corpus tab makes). A build
already running elsewhere leaves the files stored for the next one: 202, with the reason.
Changing the collection needs an admin key once any key is set (api/auth.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import AdminCheck
from api.errors import APIError
from api.wire import documents_json
from assistant import Assistant
from index import collection
from policyqa.errors import DocumentNotFoundError
from policyqa.settings import Settings

DOCUMENTS = "/v1/documents"
MAX_FILES = 20  # files one request may add


def upload_body_bytes(settings: Settings) -> int:
    """The largest request body that adds or replaces documents: MAX_FILES files of the
    upload limit, and room for the multipart framing."""
    return MAX_FILES * collection.max_upload_bytes(settings) + 1_000_000


class DocumentInfo(BaseModel):
    id: str
    title: str
    publisher: str
    date: str | None
    url: str | None
    language: str | None
    source: str = Field(description="Path of the file inside the corpus folder.")
    chunks: int


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentInfo]


class DocumentText(DocumentInfo):
    keywords: str = ""
    text: str = Field(description="The cleaned text; every passage's start and end index into it.")


class StoredFile(BaseModel):
    file: str = Field(description="The name the file was sent under.")
    path: str = Field(description="Where it is stored, inside the corpus folder.")
    document: str | None = Field(description="The id of the document indexed from it (None: not indexed yet).")


class RejectedFile(BaseModel):
    file: str
    reason: str


class DuplicateFile(BaseModel):
    file: str
    document: str = Field(description="The indexed document that already has this text.")


class Leftovers(BaseModel):
    """What the index still holds of a removed document (all zero: nothing)."""

    chunks: int
    bm25_rows: int
    vectors: int
    sentence_vectors: int
    companion_vectors: int


class IndexRun(BaseModel):
    documents: int
    chunks: int
    added: list[str]
    updated: list[str]
    removed: list[str]
    embedded_chunks: int
    seconds: float
    issues: list[str] = Field(description="Files the build skipped or warned about, with the reason.")


class ChangeReport(BaseModel):
    added: list[StoredFile] = Field(default_factory=list)
    rejected: list[RejectedFile] = Field(default_factory=list, description="Not stored, with the reason.")
    duplicates: list[DuplicateFile] = Field(default_factory=list, description="Not stored: already indexed.")
    not_indexed: list[RejectedFile] = Field(
        default_factory=list, description="Stored, then taken out again: the build could not use them."
    )
    replaced: str | None = None
    removed: str | None = None
    leftovers: Leftovers | None = Field(None, description="After a removal: what the index still holds of it.")
    index: IndexRun | None = Field(None, description="The build this change ran (None: it did not run).")
    pending: str | None = Field(None, description="Why the stored files are not indexed yet (the next build will).")
    log: list[str] = Field(description="The same report as lines, as the app shows it.")


def report(change: collection.Change) -> ChangeReport:
    build = change.build
    return ChangeReport(
        added=[StoredFile(file=s.original, path=s.path, document=s.doc_id) for s in change.added],
        rejected=[RejectedFile(file=r.original, reason=r.reason) for r in change.rejected],
        duplicates=[DuplicateFile(file=d.original, document=d.doc_id) for d in change.duplicates],
        not_indexed=[RejectedFile(file=r.original, reason=r.reason) for r in change.dropped],
        replaced=change.replaced,
        removed=change.removed,
        leftovers=Leftovers(**vars(change.left)) if change.left is not None else None,
        index=IndexRun(
            documents=build.documents,
            chunks=build.chunks,
            added=build.added,
            updated=build.updated,
            removed=build.removed,
            embedded_chunks=build.embedded_chunks,
            seconds=round(build.seconds, 3),
            issues=[str(i) for i in build.issues],
        )
        if build is not None
        else None,
        pending=change.pending,
        log=change.lines(),
    )


def answered(change: collection.Change, done: int = 200) -> JSONResponse:
    """The change's report: `done` once indexed, 202 when a build elsewhere holds the lock,
    500 when the build failed (the files stay stored for the next build)."""
    if change.build_error:
        raise APIError(500, f"the index build failed: {change.build_error}", code="build_failed")
    status = 202 if change.pending else done
    return JSONResponse(report(change).model_dump(mode="json"), status_code=status)


def _read(upload: UploadFile, max_bytes: int) -> bytes:
    """At most max_bytes + 1 bytes of an upload: enough to know it is too large."""
    return upload.file.read(max_bytes + 1)


def router(assistant: Assistant, settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["Documents"])
    admin = [Depends(AdminCheck(settings))]
    max_bytes = collection.max_upload_bytes(settings)

    def info(doc) -> dict:
        return next(d for d in documents_json(assistant.snapshot) if d["id"] == doc.id)

    @routes.get(DOCUMENTS, response_model=DocumentList)
    def documents() -> DocumentList:
        """Every indexed document, with its metadata and number of chunks."""
        items = [DocumentInfo.model_validate(d) for d in documents_json(assistant.snapshot)]
        return DocumentList(count=len(items), documents=items)

    @routes.get(DOCUMENTS + "/{doc_id:path}", response_model=DocumentText)
    def document(doc_id: str) -> DocumentText:
        """One indexed document: its metadata and its cleaned text."""
        doc = assistant.snapshot.documents.get(doc_id)
        if doc is None:
            raise DocumentNotFoundError(f"no document {doc_id!r} in the index")
        return DocumentText.model_validate({**info(doc), "keywords": doc.keywords, "text": doc.text})

    @routes.post(
        DOCUMENTS,
        response_model=ChangeReport,
        status_code=201,
        dependencies=admin,
        responses={200: {"description": "Nothing new to index"}, 202: {"description": "Stored, not indexed yet"}},
    )
    def add(files: list[UploadFile] = File(description=f"Up to {MAX_FILES} files: .md, .txt, .html, .pdf, .docx")):
        """Store files in the corpus folder and index them. Each is checked (type, content,
        size); one already indexed with the same text is not stored again. 201 when a
        document was added, 200 when nothing was new, 400 when every file was rejected."""
        if len(files) > MAX_FILES:
            raise APIError(400, f"{len(files)} files in one request; send at most {MAX_FILES}", code="too_many_files")

        def sent() -> Iterator[tuple[str, bytes]]:
            for upload in files:
                yield upload.filename or "upload", _read(upload, max_bytes)

        change = collection.add(settings, sent(), assistant.snapshot)
        if change.rejected and not (change.added or change.duplicates or change.dropped or change.pending):
            raise APIError(400, "; ".join(str(r) for r in change.rejected), code="invalid_document", param="files")
        return answered(change, 201 if change.added else 200)

    @routes.put(DOCUMENTS + "/{doc_id:path}", response_model=ChangeReport, dependencies=admin)
    def replace(doc_id: str, file: UploadFile = File(description="The new file, of the document's type")):
        """Put a new file in place of a document's (the old one is kept on the server) and
        re-index it."""
        data = _read(file, max_bytes)
        return answered(collection.replace(settings, doc_id, file.filename or "upload", data, assistant.snapshot))

    @routes.delete(DOCUMENTS + "/{doc_id:path}", response_model=ChangeReport, dependencies=admin)
    def remove(doc_id: str):
        """Take a document out of the collection (its file is kept on the server), re-index,
        and report what the index still holds of it (`leftovers`, all zero)."""
        return answered(collection.remove(settings, doc_id, assistant.snapshot))

    return routes
