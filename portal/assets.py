"""Static files: versioned addresses cached for a year, gzip when the portal serves them.

- Every ``url_for('static', filename=...)`` (any template, any blueprint) gets ``?v=`` and the
  first 12 hex digits of the file's SHA-256, through a URL default: no template has to remember
  a helper, and a changed file gets a new address.
- A request whose ``v`` is the file's current hash is answered
  ``Cache-Control: public, max-age=31536000, immutable``: browsers do not even revalidate.
  Without ``v`` (or with an outdated one) the answer stays ``no-cache`` with the hash as ETag,
  so a stale or hand-typed address is revalidated (304) rather than cached under new content.
- Text files (CSS, JS, SVG) are sent gzip-compressed to clients that accept gzip, compressed
  once per file version and kept in memory; ``Vary: Accept-Encoding`` tells caches.
- A static answer neither sets nor varies by the session cookie: the staff session's
  idle-time stamp would otherwise add ``Set-Cookie`` and ``Vary: Cookie`` to every file, and
  a browser keeps a ``Vary: Cookie`` copy only until the cookie changes.

Behind nginx, ``/static/`` is best served by nginx itself (README: its block does the same
caching and gzip); these rules cover ``make run`` and servers without that block.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, abort, current_app, request, send_file
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".map", ".xml"}
IN_MEMORY = 4 * 1024 * 1024  # larger files are streamed from disk, uncompressed


@dataclass(frozen=True)
class Version:
    """One version of a static file: what identifies it, and its bodies when kept in memory."""

    mtime_ns: int
    size: int
    digest: str  # first 12 hex digits of the SHA-256 of the content
    content: bytes | None
    packed: bytes | None  # gzip, when that is smaller


_versions: dict[str, Version] = {}  # path -> its current version, rebuilt when the file changes


def init_app(app: Flask) -> None:
    @app.url_defaults
    def _versioned_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            if found := _version(app.static_folder, values["filename"]):
                values["v"] = found.digest

    app.view_functions["static"] = send_static
    app.session_interface = SessionInterface()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, left untouched by static answers."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def _version(folder: str | None, filename: str) -> Version | None:
    path = safe_join(folder, filename) if folder else None
    if path is None or not os.path.isfile(path):
        return None
    stat = os.stat(path)
    known = _versions.get(path)
    if known and (known.mtime_ns, known.size) == (stat.st_mtime_ns, stat.st_size):
        return known
    if stat.st_size <= IN_MEMORY:
        content = Path(path).read_bytes()
        digest = hashlib.sha256(content)
    else:
        content = None
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256")
    packed = None
    if content is not None and os.path.splitext(path)[1] in COMPRESSIBLE:
        packed = gzip.compress(content, compresslevel=9, mtime=0)
        packed = packed if len(packed) < len(content) else None
    known = Version(stat.st_mtime_ns, stat.st_size, digest.hexdigest()[:12], content, packed)
    _versions[path] = known
    return known


def send_static(filename: str):
    """The ``static`` endpoint: the file, cached for a year when the address is versioned,
    gzip-compressed when the client accepts it."""
    folder = current_app.static_folder
    found = _version(folder, filename)
    if found is None:
        abort(404)
    path = safe_join(folder, filename)
    max_age = YEAR if request.args.get("v") == found.digest else None
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    gzipped = found.packed is not None and request.accept_encodings.quality("gzip") > 0
    if found.content is None:
        response = send_file(path, etag=found.digest, max_age=max_age)
    else:
        response = send_file(
            io.BytesIO(found.packed if gzipped else found.content), mimetype=mimetype,
            etag=f"{found.digest}-gz" if gzipped else found.digest,
            last_modified=found.mtime_ns / 1e9, max_age=max_age)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if found.packed is not None:
        response.vary.add("Accept-Encoding")
    if max_age:
        response.cache_control.immutable = True
    return response
