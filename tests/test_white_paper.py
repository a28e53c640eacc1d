"""White papers (Typst): the text holds the city's rank, rank interval from a real audit, raw
values with units and years, strengths with their reason and the district lines; the pages
have ink in the chart colours where the charts are; the Chinese paper embeds CJK fonts and
has no missing glyphs."""

import shutil
import subprocess

import numpy as np
import pypdf
import pytest
from PIL import Image

import fintech_index as fi
from fintech_index.audit.engine import Engine, load_spec
from fintech_index.audit.uncertainty import uncertainty
from fintech_index.examples import datasets_dir
from fintech_index.publish import paper_file_name, paper_units, publish_all
from fintech_index.publish.pdf import COLORS, SERIES, white_paper_data, write_white_paper

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or
                                   shutil.which("pdffonts") is None,
                                   reason="poppler-utils not installed; .ci/run installs it")


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def audit(results):
    """A real (small) uncertainty analysis of the bundled spec: 128 replications."""
    spec = load_spec(datasets_dir() / "fintech" / "fintech.uncertainty.yaml")
    engine = Engine(results.framework, results.panel, results.methodology, spec)
    return uncertainty(engine, n=128).summary()


@pytest.fixture(scope="module")
def sfo(results, audit, tmp_path_factory):
    return write_white_paper(results, "SFO", tmp_path_factory.mktemp("wp") / "sfo.pdf",
                             audit=audit)


@pytest.fixture(scope="module")
def sha_zh(results, audit, tmp_path_factory):
    return write_white_paper(results, "SHA", tmp_path_factory.mktemp("wp") / "sha_zh.pdf",
                             audit=audit, lang="zh")


def _text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages)


def test_text_holds_rank_interval_raw_values_and_districts(results, audit, sfo):
    text = _text(sfo)
    rank, score = int(results.ranks().at["SFO", 2025]), results.scores().at["SFO", 2025]
    assert "San Francisco Bay Area fintech development white paper 2025" in text
    n = len(results.units)
    assert f"San Francisco Bay Area ranks {rank} of {n} with a score of {score:.2f} in 2025" \
        in text
    lo, hi = round(audit.at["SFO", "rank_p05"]), round(audit.at["SFO", "rank_p95"])
    assert f"its rank lies between {lo} and {hi} in 90% of cases" in text
    assert f"{lo}-{hi}" in text  # the cover's key figure
    # raw values with units and source years, as in the data
    data = results.panel.frame(2025).set_index(["unit", "indicator"])
    assert "47 firms" in text
    assert int(data.at[("SFO", "fintech_unicorns"), "value"]) == 47
    assert data.at[("SFO", "gfci_rank"), "value"] == 5  # GFCI 38, as published
    flights = data.at[("SFO", "intl_flights"), "value"]
    assert f"{flights:.2f} GPCI score 0-100" in text
    # weaknesses with their reason (rank gap and raw value)
    node_rank = int(results.ranks("intl_flights").at["SFO", 2025])
    assert (f"Cities with direct international flights: rank {node_rank}, {node_rank - rank} "
            f"places below its overall rank (raw value {flights:.2f} GPCI score 0-100, 2023)"
            ) in text
    # records-based counts and districts (CB Insights list of 2025-10-07)
    assert "list of 7 October 2025" in text
    assert ("327 unicorns are headquartered in 27 places of the metro. San Francisco holds "
            "59% of them and 38 of its 47 fintech unicorns") in text
    for line in ("Palo Alto 30 9% 3 0.70 Insurance (2; LQ 3.11)",
                 "San Mateo 10 3% 2 1.39 Financial Services (2; LQ 1.64)"):
        assert line in text
    assert "'West Palm Beach' (a shifted cell in the source)" in text
    assert "Methodology annex" in text and "i_EM_bounded" in text


def test_shanghai_gets_cited_district_notes_not_numbers(results):
    data = white_paper_data(results, "SHA")
    notes = data["districts"]["notes"]
    assert any(n["area"] == "Lujiazui Financial City" and "Xinhua-AsiaNet" in n["cite"]
               for n in notes)
    assert "not comparable" in data["districts"]["caveat"]
    assert data["districts"]["lines"][0].startswith("All 35 unicorns") is False
    assert "34 97% 2 1.03" in " ".join(" ".join(r) for r in data["districts"]["rows"])


def test_without_audit_the_paper_says_so(results):
    data = white_paper_data(results, "NYC")
    assert data["interval"] is None
    assert "No uncertainty audit was given" in " ".join(data["summary"])


@needs_poppler
def test_chart_pages_have_ink_in_the_chart_colours(sfo, tmp_path):
    """Page 1: the dimension bars (city, top-ten mean, peers: three colours) in the lower
    part of the page; page 3: the rank-history lines in the series colours."""
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(sfo), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(pypdf.PdfReader(sfo).pages) >= 5

    def share_of(img: np.ndarray, hex_colour: str) -> float:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(img.astype(int) - rgb).sum(axis=2) < 40).mean())

    first = np.asarray(Image.open(pages[0]).convert("RGB"))
    chart = first[first.shape[0] * 2 // 5:]  # the chart fills the lower part of page 1
    for colour in COLORS.values():
        assert share_of(chart, colour) > 0.002, colour
    third = np.asarray(Image.open(pages[2]).convert("RGB"))
    for colour in SERIES[:4]:
        # two-year lines are short: a few hundred pixels of each colour at 50 dpi
        assert share_of(third, colour) > 0.0001, colour
    for page in pages:
        # no blank page (the last page may hold a single line)
        assert (np.asarray(Image.open(page).convert("L")) < 128).sum() > 0, page


@needs_poppler
def test_chinese_paper_embeds_cjk_fonts_without_missing_glyphs(sha_zh, audit):
    fonts = subprocess.run(["pdffonts", str(sha_zh)], capture_output=True, text=True,
                           check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, unicode
    text = _text(sha_zh)
    assert "金融科技发展白皮书 2025" in text
    assert "核心数据" in text and "区位商" in text and "方法附录" in text
    lo, hi = round(audit.at["SHA", "rank_p05"]), round(audit.at["SHA", "rank_p95"])
    compact = "".join(text.split())  # Typst spaces CJK from Latin; pypdf reads it as a space
    assert f"其排名90%落在第{lo}至第{hi}位之间" in compact
    assert "\ufffd" not in text  # no replacement characters
    # every CJK character typeset is in an embedded CJK font's ToUnicode map: none missing
    reader = pypdf.PdfReader(sha_zh)
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get(
                "/FontFile3") is not None or "/FontFile2" in font["/DescendantFonts"][
                0].get_object()["/FontDescriptor"]


def test_papers_go_to_the_top_ten_plus_extra_cities(results, tmp_path):
    top = list(results.ranking(2025).index[:10])
    assert paper_units(results) == top
    assert paper_units(results, ["SHA", "NYC"]) == top + ["SHA"]
    with pytest.raises(fi.FintechIndexError, match=r"'XXX' is not one of the cities"):
        paper_units(results, ["XXX"])
    assert paper_file_name(results, "SFO", "zh") == \
        "San_Francisco_Bay_Area_white_paper_2025_zh.pdf"


@pytest.mark.slow
def test_publish_all_writes_eleven_papers_and_the_same_bytes_twice(results, tmp_path):
    a = publish_all(results, pdf=tmp_path / "a", cities=["SHA"], lang="zh")
    b = publish_all(results, pdf=tmp_path / "b", cities=["SHA"], lang="zh")
    assert len(a) == 11 and a[-1].name == "Shanghai_white_paper_2025_zh.pdf"
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name
