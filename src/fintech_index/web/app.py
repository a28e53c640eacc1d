"""FastAPI app over the DuckDB store (read-only): editions, rankings, units, comparisons,
methodology, and re-weighting of dimensions and pillars by the engine's aggregate-and-rank.
Serve with ``fintech-index serve``; the OpenAPI schema is at /openapi.json.
FastAPI: https://fastapi.tiangolo.com/."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from ..errors import FintechIndexError
from ..store import Store
from .reweight import Reweighting, WeightsRefused

PAGE = Path(__file__).with_name("static") / "index.html"
ERRORS = {400: {"description": "a body that cannot be parsed"},
          404: {"description": "no such edition, node, unit or year"},
          413: {"description": "request body too large"},
          503: {"description": "the store cannot be opened"}}
MAX_BODY = 64 * 1024


class BodyLimit:
    """Pure ASGI middleware: a request declaring a body over MAX_BODY bytes gets 413 before
    its body is read (cheaper than Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            size = dict(scope.get("headers") or []).get(b"content-length")
            if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
                response = JSONResponse({"detail": f"request body over {MAX_BODY} bytes"}, 413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Reweight(BaseModel):
    """New weights of dimensions or pillars (node code -> weight > 0); nodes not named keep
    their framework weight."""

    weights: dict[str, float]
    year: int | None = None


def create_app(store_path: str | Path) -> FastAPI:
    app = FastAPI(title="fintech-index", description="Published editions of composite "
                  "indices: rankings, units, comparisons, methodology, re-weighting.")
    path = Path(store_path)

    app.add_middleware(BodyLimit)

    shared: list[Store] = []  # one read-only connection, opened on first use
    frames: dict = {}  # editions are immutable: their frames and structure are cached
    lock = threading.Lock()

    def store() -> Store:
        with lock:
            if not shared:
                try:
                    shared.append(Store(path, read_only=True))
                except FintechIndexError as e:
                    raise HTTPException(503, str(e)) from None
            return Store.view(shared[0])

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
            raise HTTPException(404, str(e)) from None

    def inputs(s: Store, name: str) -> dict:
        try:
            return cached(("inputs", name), lambda: s.edition_inputs(name))
        except FintechIndexError as e:
            raise HTTPException(404, str(e)) from None

    def structure(s: Store, name: str) -> tuple[str, dict, dict]:
        got = inputs(s, name)
        nodes = got["framework"]["nodes"]
        return got["framework"]["index"], nodes, got["methodology"]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return PAGE.read_text(encoding="utf-8")

    @app.get("/api/editions", responses=ERRORS)
    async def editions() -> list[dict]:
        with store() as s:
            frame = s.editions()
        frame["created_at"] = frame["created_at"].astype(str)
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
            raise HTTPException(404, f"'{node}' is not a node of edition '{name}'")
        part = frame[frame["node"] == node].sort_values(["rank", "unit"])
        return {"edition": name, "node": node, "name": nodes[node]["name"],
                "year": int(part["year"].iloc[0]),
                "rows": [{"rank": _int(r.rank), "unit": r.unit, "name": r.unit_name,
                          "score": _float(r.score)} for r in part.itertuples()]}

    @app.get("/api/editions/{name}/units/{unit}", responses=ERRORS)
    async def unit(name: str, unit: str, year: int | None = None) -> dict:
        return cached(("unit", name, unit, year), lambda: _unit(name, unit, year))

    def _unit(name: str, unit: str, year: int | None) -> dict:
        with store() as s:
            frame = edition_frame(s, name, year)
            _, nodes, _ = structure(s, name)
        part = frame[frame["unit"] == unit]
        if part.empty:
            raise HTTPException(404, f"no unit '{unit}' in edition '{name}'")
        return {"edition": name, "unit": unit, "name": part["unit_name"].iloc[0],
                "nodes": [{"node": r.node, "name": nodes[r.node]["name"], "rank": _int(r.rank),
                           "score": _float(r.score), "figure_level": r.figure_level}
                          for r in part.itertuples()]}

    @app.get("/api/editions/{name}/compare", responses=ERRORS)
    async def compare_units(name: str, a: str = Query(...), b: str = Query(...),
                      year: int | None = None) -> dict:
        ua, ub = await unit(name, a, year), await unit(name, b, year)
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
                raise HTTPException(404, str(e)) from None
        return frame.replace({np.nan: None}).to_dict(orient="records")

    @app.get("/api/editions/{name}/methodology", responses=ERRORS)
    async def methodology(name: str) -> dict:
        with store() as s:
            return inputs(s, name)

    @app.post("/api/editions/{name}/reweight", responses=ERRORS)
    def reweight(name: str, body: Reweight) -> dict:
        """The edition recomputed from its stored indicator scores with new weights for any
        dimension or pillar, by the engine's own aggregate-and-rank path (nominal weights
        give the published scores and ranks)."""
        with store() as s:
            base = cached(("reweight", name, body.year),
                          lambda: Reweighting.from_edition(inputs(s, name),
                                                           edition_frame(s, name, body.year)))
        try:
            got = base.apply(body.weights)
        except WeightsRefused as e:
            raise HTTPException(422, str(e)) from None
        return _reweighted(name, base, got)

    return app


def _reweighted(name: str, base: Reweighting, got) -> dict:
    """The reweight answer: the index ranking (best first) with city names, every
    weighted node with its framework and current weight, and per unit the rank and score
    on the index and every dimension and pillar (for the comparison)."""
    fw, units = base.framework, base.panel.unit_codes
    names = base.panel.units["name"].to_numpy()
    scores, ranks = got.scores[fw.index], got.ranks[fw.index]
    order = np.lexsort((np.array(units), np.nan_to_num(ranks, nan=np.inf)))
    nodes = [fw.index, *base.weighted_nodes]
    used = {kid: float(got.weights[parent][..., k].reshape(-1)[0])
            for parent in fw.aggregates for k, kid in enumerate(fw.nodes[parent].children)}

    def described(code: str) -> dict:
        n = fw.nodes[code]
        return {"node": code, "name": n.name, "parent": n.parent, "level": n.level,
                "weight": n.weight, "used": used.get(code)}

    dims = [c for c in fw.nodes[fw.index].children if not fw.nodes[c].is_indicator]
    return {"edition": name, "index": fw.index, "index_name": fw.nodes[fw.index].name,
            "weights": {c: used[c] for c in base.weighted_nodes},
            "rows": [{"rank": _int(ranks[i]), "unit": units[i], "name": names[i],
                      "score": _float(scores[i])} for i in order],
            "dimensions": [described(c) for c in dims],
            "pillars": [described(c) for c in base.weighted_nodes if c not in dims],
            "units": {u: {c: {"rank": _int(got.ranks[c][i]), "score": _float(got.scores[c][i])}
                          for c in nodes} for i, u in enumerate(units)}}


def _int(v) -> int | None:
    return None if v is None or v != v else int(v)


def _float(v) -> float | None:
    return None if v is None or v != v else float(v)
