"""The web page's one view, datasette-style: one context (an edition's ranking, weights and
comparison, names in a language, numbers formatted by :mod:`fintech_index.format`) that is
either rendered by a Jinja2 template with autoescape or answered as JSON."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import jinja2
import numpy as np
import yaml

from ..format import LANGS, Formatter
from ..publish.i18n import node_name, strings, unit_name
from .reweight import Reweighting

TEMPLATES = Path(__file__).with_name("templates")
STRINGS_FILE = Path(__file__).with_name("strings.yaml")
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                         undefined=jinja2.StrictUndefined)
HOME = {"en": "/", "zh": "/zh/"}
# the strings the page shows, also given in its JSON
SHOWN = ("col_rank", "col_city", "col_score", "col_edition", "other_language", "web_intro",
         "web_weights", "web_compare", "web_node", "web_weight", "web_rank_score_of",
         "web_ranking", "web_no_edition")


@cache
def page_strings(lang: str) -> dict[str, str]:
    """The site's strings table in ``lang`` with the page's own (web/strings.yaml)."""
    own = yaml.safe_load(STRINGS_FILE.read_text(encoding="utf-8"))
    return {**strings(lang), **{key: entry[lang] for key, entry in own.items()}}


def inline_hashes(tag: str) -> str:
    """CSP sources for the template's inline <script> or <style> blocks: 'sha256-...' of
    each (CSP Level 2 hash sources); the blocks hold no template syntax, so the rendered
    page carries them unchanged."""
    source = (TEMPLATES / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", source, flags=re.DOTALL)
    return " ".join("'sha256-" + base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()
                                                   ).decode("ascii") + "'" for b in blocks)


def reweighted(name: str, base: Reweighting, got, lang: str = "en") -> dict:
    """The reweight answer: the index ranking (best first), every weighted node (dimension
    then its pillars) with its framework and current weight, and per unit the rank and score
    on the index and every dimension and pillar; each raw number has its text beside it
    (``*_text``, by fintech_index.format) and names are in ``lang``."""
    f, t = Formatter(lang), page_strings(lang)
    fw, units = base.framework, base.panel.unit_codes
    table = base.panel.units
    scores, ranks = got.scores[fw.index], got.ranks[fw.index]
    order = np.lexsort((np.array(units), np.nan_to_num(ranks, nan=np.inf)))
    nodes = [fw.index, *base.weighted_nodes]
    used = {kid: float(got.weights[parent][..., k].reshape(-1)[0])
            for parent in fw.aggregates for k, kid in enumerate(fw.nodes[parent].children)}

    def described(code: str, kind: str) -> dict:
        n = fw.nodes[code]
        return {"node": code, "name": node_name(fw, code, lang), "parent": n.parent,
                "level": n.level, "kind": kind, "weight": n.weight,
                "weight_text": f.number(n.weight, 1), "used": used.get(code),
                "used_text": f.number(used.get(code), 1)}

    def placed(rank, score) -> dict:
        rank, score = as_int(rank), as_float(score)
        return {"rank": rank, "score": score, "rank_text": f.rank(rank, missing="-"),
                "score_text": f.score(score),
                "text": t["web_rank_score"].format(rank=f.rank(rank, missing="-"),
                                                   score=f.score(score))}

    dims = [c for c in fw.nodes[fw.index].children if not fw.nodes[c].is_indicator]
    pillars = [c for c in base.weighted_nodes if c not in dims]
    weighted = [described(d, "dimension") for d in dims]
    weighted = [x for d in weighted for x in (d, *(described(p, "pillar") for p in pillars
                                                   if fw.nodes[p].parent == d["node"]))]
    return {"edition": name, "lang": lang, "index": fw.index,
            "index_name": node_name(fw, fw.index, lang),
            "weights": {c: used[c] for c in base.weighted_nodes},
            "rows": [{"unit": units[i], "name": unit_name(table, units[i], lang),
                      **placed(ranks[i], scores[i])} for i in order],
            "dimensions": [n for n in weighted if n["kind"] == "dimension"],
            "pillars": [n for n in weighted if n["kind"] == "pillar"],
            "weighted": weighted,
            "units": {u: {c: placed(got.ranks[c][i], got.scores[c][i]) for c in nodes}
                      for i, u in enumerate(units)}}


def context(lang: str, editions: list[str], answer: dict | None) -> dict:
    """What the page shows, as JSON and as the template's input: the language and the link
    to the other, the page's strings, the editions and the chosen edition's answer."""
    other = next(x for x in LANGS if x != lang)
    t = page_strings(lang)
    return {"lang": lang, "home": HOME[lang], "other": {"lang": other, "href": HOME[other]},
            "strings": {k: t[k] for k in SHOWN}, "editions": editions,
            "edition": answer["edition"] if answer else None, "ranking": answer}


def render(ctx: dict) -> str:
    """The page: ``ctx`` (:func:`context`) through templates/index.html."""
    return ENV.get_template("index.html").render(**ctx)


def as_int(v) -> int | None:
    return None if v is None or v != v else int(v)


def as_float(v) -> float | None:
    return None if v is None or v != v else float(v)
