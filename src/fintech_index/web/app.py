"""FastAPI app over the DuckDB store (read-only): editions, rankings, units, comparisons,
methodology, and re-weighting of dimensions and pillars by the engine's aggregate-and-rank.
Serve with ``fintech-index serve``; the OpenAPI schema is at /openapi.json.
FastAPI: https://fastapi.tiangolo.com/."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, field_validator

from ..errors import FintechIndexError, did_you_mean, did_you_mean_unit
from ..store import Store
from .page import as_float, as_int, context, inline_hashes, render, reweighted
from .reweight import Reweighting, WeightsRefused, refuse_non_numbers

Lang = Literal["en", "zh"]

ERRORS = {400: {"description": "a body that cannot be parsed or gives a key twice"},
          404: {"description": "no such edition, node, unit or year"},
          413: {"description": "request body too large"},
          503: {"description": "the store cannot be opened"}}
MAX_BODY = 64 * 1024
MAX_WEIGHT = 1e6  # a re-weighting weight, relative to the others


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes MAX_BODY (an HTTPException, so that
    FastAPI's body parsing passes it on as the 413 it is)."""

    def __init__(self) -> None:
        super().__init__(413, f"request body over {MAX_BODY} bytes")


class _HttpMiddleware:
    """Pure ASGI middleware that passes everything but HTTP (lifespan, websockets) straight
    on and hands HTTP requests to ``http``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        else:
            await self.http(scope, receive, send)

    async def http(self, scope, receive, send) -> None:
        raise NotImplementedError


class BodyLimit(_HttpMiddleware):
    """Pure ASGI middleware: a body over MAX_BODY bytes gets 413. A declared
    Content-Length is refused before anything is read; a chunked body (no length) is
    counted as it arrives and refused at the first message past the limit, so at most
    MAX_BODY plus one chunk is ever held (Content-Length alone let a chunked 200 MB in)."""

    async def http(self, scope, receive, send) -> None:
        size = dict(scope.get("headers") or []).get(b"content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            await _too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise BodyTooLarge
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, receive, send)


def parse_json(body: bytes):
    """``body`` as JSON, refusing [U70] an object that gives one key twice: Python's json
    keeps the last (``{"industry": 1e9, "industry": 2}`` was the weight 2), another reader
    may keep the first, so the request means two things. Invalid JSON raises ValueError."""
    def pairs(items: list[tuple[str, object]]) -> dict:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                raise FintechIndexError("U70", f"request body: the key {key!r} is given twice "
                                               "in one JSON object; give each key once")
            seen.add(key)
        return dict(items)

    return json.loads(body, object_pairs_hook=pairs)


class StrictJson(_HttpMiddleware):
    """Pure ASGI middleware: a JSON body with a key given twice in one object gets 400
    [U70] (:func:`parse_json`); any other body reaches the app as it came (it is held
    whole first: BodyLimit, outside this, bounds it)."""

    async def http(self, scope, receive, send) -> None:
        kind = dict(scope.get("headers") or []).get(b"content-type", b"")
        if scope["method"] not in ("POST", "PUT", "PATCH") or b"json" not in kind.lower():
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            parse_json(body)
        except FintechIndexError as e:
            await JSONResponse({"detail": str(e)}, 400)(scope, receive, send)
            return
        except ValueError:
            pass  # not JSON: FastAPI's own answer (422) names where
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _too_large(scope, receive, send) -> None:
    response = JSONResponse({"detail": f"request body over {MAX_BODY} bytes"}, 413,
                            headers={"Connection": "close"})
    await response(scope, receive, send)


SECURITY_HEADERS = [
    # the page's own inline style and script only (by hash), nothing from elsewhere, no
    # framing, no plugins, no form posts elsewhere
    (b"content-security-policy",
     f"default-src 'none'; script-src {inline_hashes('script')}; "
     f"style-src {inline_hashes('style')}; connect-src 'self'; img-src 'self'; "
     "base-uri 'none'; form-action 'none'; frame-ancestors 'none'".encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders(_HttpMiddleware):
    """Pure ASGI middleware adding SECURITY_HEADERS to every response (errors included)."""

    async def http(self, scope, receive, send) -> None:
        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message, headers=list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present])
            await send(message)

        await self.app(scope, receive, with_headers)


class Reweight(BaseModel):
    """New weights of dimensions or pillars (node code -> weight > 0); nodes not named keep
    their framework weight."""

    # finite and bounded: NaN, Infinity or 1e308 gave null scores or all-tied ranks with 200
    weights: dict[str, Annotated[float, Field(gt=0, le=MAX_WEIGHT, allow_inf_nan=False)]]
    year: int | None = None

    @field_validator("weights", mode="before")
    @classmethod
    def _numbers_only(cls, value):
        """JSON numbers only [U71]: pydantic took ``true`` as 1.0 and ``"2"`` as 2.0."""
        if isinstance(value, dict):
            try:
                refuse_non_numbers(value)
            except FintechIndexError as e:
                raise ValueError(str(e)) from None
        return value


class _RequestStore:
    """The store opened read-only for one request, and only if the request reads it (the
    cached frames of immutable editions do not): ``serve`` holds no lock between requests,
    so ``store publish`` can write while the app runs."""

    def __init__(self, path: Path, public) -> None:
        self._path, self._public, self._store = path, public, None

    def __enter__(self) -> _RequestStore:
        return self

    def __exit__(self, *exc) -> None:
        if self._store is not None:
            self._store.close()

    def __getattr__(self, name: str):
        if self._store is None:
            try:
                self._store = Store(self._path, read_only=True)
            except FintechIndexError as e:
                raise HTTPException(503, self._public(e) + " (try again shortly)") from None
        return getattr(self._store, name)


def create_app(store_path: str | Path) -> FastAPI:
    # no /docs or /redoc: they load their scripts from a CDN; /openapi.json stays
    app = FastAPI(title="fintech-index", description="Published editions of composite "
                  "indices: rankings, units, comparisons, methodology, re-weighting.",
                  docs_url=None, redoc_url=None)
    path = Path(store_path)

    app.add_middleware(StrictJson)  # innermost: it reads the body BodyLimit has bounded
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)

    def public(e: FintechIndexError) -> str:
        """A message for the web: the store's name, never its path on this machine, and
        no process ids from DuckDB's lock messages."""
        text = str(e)
        for p in sorted({str(path.resolve()), str(path.absolute()), str(path)}, key=len,
                        reverse=True):
            text = text.replace(p, path.name)
        if e.code == "S02":
            text = f"{path.name}: the store cannot be read now (being written?) [S02]"
        return text

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, e: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, and a NaN in it made that a 500
        return JSONResponse({"detail": _json_safe(jsonable_encoder(e.errors()))}, 422)

    @app.exception_handler(FintechIndexError)
    async def store_failed(request, e: FintechIndexError) -> JSONResponse:
        return JSONResponse({"detail": public(e)}, 503)

    frames: dict = {}  # editions are immutable: their frames and structure are cached
    lock = threading.Lock()

    def store() -> _RequestStore:
        return _RequestStore(path, public)

    def cached(key, make):
        if key not in frames:
            value = make()
            with lock:
                frames.setdefault(key, value)
        return frames[key]

    def edition_frame(s: Store, name: str, year: int | None):
        try:
            return cached(("frame", name, year), lambda: s.edition(name, year))
        except FintechIndexError as e:
            raise HTTPException(404, public(e)) from None

    def inputs(s: Store, name: str) -> dict:
        try:
            return cached(("inputs", name), lambda: s.edition_inputs(name))
        except FintechIndexError as e:
            raise HTTPException(404, public(e)) from None

    def structure(s: Store, name: str) -> tuple[str, dict, dict]:
        got = inputs(s, name)
        nodes = got["framework"]["nodes"]
        return got["framework"]["index"], nodes, got["methodology"]

    def answer(name: str, weights: dict, year: int | None, lang: str) -> dict:
        """The edition re-weighted (``{}``: as published), formatted in ``lang``."""
        with store() as s:
            base = cached(("reweight", name, year),
                          lambda: Reweighting.from_edition(inputs(s, name),
                                                           edition_frame(s, name, year)))
        try:
            got = base.apply(weights)
        except WeightsRefused as e:
            raise HTTPException(422, str(e)) from None
        return reweighted(name, base, got, lang)

    def page_context(lang: str, edition: str | None) -> dict:
        """The page's one context: the chosen edition (default: the newest) as published."""
        with store() as s:
            names = list(s.editions()["name"])
        if edition is not None and edition not in names:
            raise HTTPException(404, f"no edition '{edition}' in this store; "
                                     + did_you_mean(edition, names, after="; ")
                                     + f"published: {', '.join(names) or 'none'}")
        edition = edition or (names[-1] if names else None)
        return context(lang, names, answer(edition, {}, None, lang) if edition else None)

    # datasette-style: one view, as HTML (/, /zh/) or as JSON (/index.json, /zh/index.json)
    # GET and HEAD alike (a link checker's HEAD / was 405)
    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse,
                   include_in_schema=False)
    def page(lang: Lang = "en", edition: str | None = None) -> str:
        return render(page_context(lang, edition))

    @app.api_route("/zh/", methods=["GET", "HEAD"], response_class=HTMLResponse,
                   include_in_schema=False)
    def page_zh(edition: str | None = None) -> str:
        return render(page_context("zh", edition))

    @app.get("/index.json", responses=ERRORS)
    def page_json(lang: Lang = "en", edition: str | None = None) -> dict:
        """What the page shows, names in ``lang`` and every number beside its text."""
        return page_context(lang, edition)

    @app.get("/zh/index.json", responses=ERRORS)
    def page_json_zh(edition: str | None = None) -> dict:
        return page_context("zh", edition)

    @app.get("/api/editions", responses=ERRORS)
    async def editions() -> list[dict]:
        with store() as s:
            frame = s.editions()
        frame["created_at"] = frame["created_at"].astype(str)
        frame["years"] = [json.loads(y) for y in frame["years"]]  # stored as JSON text
        return frame.replace({np.nan: None}).to_dict(orient="records")

    @app.get("/api/editions/{name}/ranking", responses=ERRORS)
    async def ranking(name: str, node: str | None = None, year: int | None = None) -> dict:
        return cached(("ranking", name, node, year), lambda: _ranking(name, node, year))

    def _ranking(name: str, node: str | None, year: int | None) -> dict:
        with store() as s:
            frame = edition_frame(s, name, year)
            index, nodes, _ = structure(s, name)
        node = node or index
        if node not in nodes:
            raise HTTPException(404, f"'{node}' is not a node of edition '{name}'"
                                     + did_you_mean(node, nodes, "; "))
        part = frame[frame["node"] == node].sort_values(["rank", "unit"])
        return {"edition": name, "node": node, "name": nodes[node]["name"],
                "year": int(part["year"].iloc[0]),
                "rows": [{"rank": as_int(r.rank), "unit": r.unit, "name": r.unit_name,
                          "score": as_float(r.score)} for r in part.itertuples()]}

    # {unit:path}: a unit code may hold '/' (``../../etc/passwd`` was listed in the
    # ranking but unreachable); the code is only compared with the edition's codes
    @app.get("/api/editions/{name}/units/{unit:path}", responses=ERRORS)
    async def unit(name: str, unit: str, request: Request, year: int | None = None) -> dict:
        unit = _raw_segment(request, "/units/") or unit
        return cached(("unit", name, unit, year), lambda: _unit(name, unit, year))

    def _unit(name: str, unit: str, year: int | None) -> dict:
        with store() as s:
            frame = edition_frame(s, name, year)
            _, nodes, _ = structure(s, name)
        part = frame[frame["unit"] == unit]
        if part.empty:
            names = dict(zip(frame["unit"], frame["unit_name"], strict=True))
            raise HTTPException(404, f"no unit '{unit}' in edition '{name}'"
                                     + did_you_mean_unit(unit, names, "; "))
        return {"edition": name, "unit": unit, "name": part["unit_name"].iloc[0],
                "nodes": [{"node": r.node, "name": nodes[r.node]["name"], "rank": as_int(r.rank),
                           "score": as_float(r.score), "figure_level": r.figure_level}
                          for r in part.itertuples()]}

    @app.get("/api/editions/{name}/compare", responses=ERRORS)
    async def compare_units(name: str, a: str = Query(...), b: str = Query(...),
                      year: int | None = None) -> dict:
        ua = cached(("unit", name, a, year), lambda: _unit(name, a, year))
        ub = cached(("unit", name, b, year), lambda: _unit(name, b, year))
        rb = {n["node"]: n for n in ub["nodes"]}
        return {"edition": name, "a": a, "b": b, "nodes": [
            {"node": n["node"], "name": n["name"], "rank_a": n["rank"],
             "rank_b": rb[n["node"]]["rank"], "score_a": n["score"],
             "score_b": rb[n["node"]]["score"]} for n in ua["nodes"]]}

    @app.get("/api/diff", responses=ERRORS)
    async def diff(a: str, b: str) -> list[dict]:
        with store() as s:
            try:
                frame = s.diff(a, b)
            except FintechIndexError as e:
                raise HTTPException(404, public(e)) from None
        ranks = ("rank_a", "rank_b", "rank_change")  # whole places: JSON integers, not 1.0
        return [{k: (as_int(v) if k in ranks else as_float(v) if isinstance(v, float) else v)
                 for k, v in row.items()} for row in frame.to_dict(orient="records")]

    @app.get("/api/editions/{name}/methodology", responses=ERRORS)
    async def methodology(name: str) -> dict:
        with store() as s:
            return inputs(s, name)

    @app.post("/api/editions/{name}/reweight", responses=ERRORS)
    def reweight(name: str, body: Reweight, lang: Lang = "en") -> dict:
        """The edition recomputed from its stored indicator scores with new weights for any
        dimension or pillar, by the engine's own aggregate-and-rank path (nominal weights
        give the published scores and ranks); names in ``lang``, numbers with their text."""
        return answer(name, body.weights, body.year, lang)

    return app


REQUEST_TIMEOUT = 10.0  # seconds a client has to send a whole request: headers and body
MAX_CONNECTIONS = 1000  # open connections; more are answered 503 and closed at once
RESERVED_FDS = 64  # descriptors kept free for the store, logs and the listening socket


def _plain_response(status: str, text: str, *headers: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, written by the protocol
    itself (no app runs for it)."""
    body = text.encode("ascii")
    head = [f"HTTP/1.1 {status}", "Content-Type: text/plain; charset=utf-8",
            "Connection: close", "X-Content-Type-Options: nosniff", *headers,
            f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


BUSY = _plain_response("503 Service Unavailable", "too many connections; try again soon",
                       "Retry-After: 10")
TIMED_OUT = _plain_response("408 Request Timeout", "the request did not arrive in time")


def bounded_protocol(seconds: float, max_connections: int) -> type:
    """uvicorn's h11 protocol with two bounds. (1) A deadline for each whole request,
    headers AND body, counted from the connection or from the previous response and not
    renewed by bytes that trickle in: uvicorn's keep-alive timer is, and the earlier
    header deadline stopped at the headers, so a client sending a body byte every 4 s held
    its connection for ever (20,100 of them exhausted the descriptors). A request still
    arriving at the deadline gets 408 and its connection is closed. (2) At most
    ``max_connections`` open connections: one more is answered 503 and closed at once,
    before it reads anything, so a flood costs a descriptor for microseconds, not for the
    deadline."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class BoundedProtocol(H11Protocol):
        _deadline = None

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _receiving(self) -> bool:
            """Waiting for the client: no request yet, a request's body still arriving,
            or the previous response sent."""
            c = self.cycle
            return c is None or c.response_complete or c.more_body

        def _expire(self) -> None:
            self._deadline = None
            if self.transport.is_closing() or not self._receiving():
                return
            if self.cycle is not None and self.conn.our_state is h11.SEND_RESPONSE:
                self.transport.write(TIMED_OUT)  # the app answered nothing yet
            self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(BUSY)
                transport.close()
                return
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if not self._receiving():
                self._disarm()  # the whole request is in: the app answers it

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self._receiving():
                self._arm()

    return BoundedProtocol


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """``wanted`` connections, or fewer if this process may not open twice that many
    descriptors (kept connections, and as many being refused: see ``serve``; the soft
    limit is raised to the hard one first): accept() failed with EMFILE once the
    descriptors ran out, and the API stopped answering."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted + RESERVED_FDS)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(1, min(wanted, (soft - RESERVED_FDS) // 2))


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8000, *,
          request_timeout: float = REQUEST_TIMEOUT,
          max_connections: int = MAX_CONNECTIONS) -> None:
    """Serve the app with uvicorn until interrupted. The store is checked first (a damaged
    one is refused [S66]) and the address is bound here, so that a port in use or a host
    that does not resolve is a coded error [U66], not uvicorn's exit 3. Each request must
    arrive whole within ``request_timeout`` seconds; at most ``max_connections`` are open
    (fewer if the descriptor limit is lower: :func:`connection_cap`)."""
    import socket

    import uvicorn

    with Store(store_path, read_only=True) as s:
        s.check()
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as e:
        raise FintechIndexError("U66", f"serve: cannot listen on {host}:{port} "
                                       f"({e.strerror or e}); give a local host name or "
                                       "address with --host") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise FintechIndexError("U66", f"serve: cannot listen on {host}:{port} "
                                       f"({e.strerror or e}); is another server using the "
                                       "port? give another with --port") from None
    cap = connection_cap(max_connections)
    # asyncio accepts up to `backlog` connections at a time, each holding a descriptor
    # until its 503 is written: a backlog of the cap keeps those near one cap more (and at
    # least 128, so that a burst of connects is queued, not dropped, by a small server)
    config = uvicorn.Config(create_app(store_path), log_level="warning", timeout_keep_alive=5,
                            http=bounded_protocol(request_timeout, cap),
                            backlog=max(cap, 128))
    sock.listen(max(cap, 128))  # listening before the address is printed: it answers
    shown_host = f"[{address[0]}]" if family == socket.AF_INET6 else address[0]
    print(f"serving {store_path} at http://{shown_host}:{sock.getsockname()[1]}/ "
          "(Chinese: /zh/, API: /api/editions; Ctrl-C stops)", flush=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _raw_segment(request: Request, after: str) -> str | None:
    """The rest of the request's raw path after ``after``, percent-decoded once: a unit
    code holding '%2F' itself (sent as '%252F') stays itself whatever the server or test
    client decoded before routing."""
    raw = request.scope.get("raw_path")
    if not raw or after.encode() not in raw:
        return None
    return unquote(raw.partition(after.encode())[2].decode("ascii", "replace"))


def _json_safe(value):
    """``value`` with every NaN or infinite float as its text ('nan', 'inf'): strict JSON
    has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
