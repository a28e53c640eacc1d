"""The fixed words of the white papers and the workbook in English and Simplified Chinese
(written and reviewed by hand, never translated at run time), names in a language (a
``name_zh`` field or column where the data have one, else the English name), and numbers,
ranks, changes and dates formatted per language."""

from __future__ import annotations

import math
from datetime import date

from ..errors import FintechIndexError

LANGS = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "{city} fintech development white paper {year}",
              "zh": "{city}金融科技发展白皮书 {year}"},
    "key_figures": {"en": "Key figures", "zh": "核心数据"},
    "overall_rank": {"en": "Overall rank", "zh": "总排名"},
    "score": {"en": "Index score", "zh": "指数得分"},
    "change": {"en": "Change since {year}", "zh": "较{year}年变化"},
    "interval": {"en": "Rank interval (5-95%)", "zh": "排名区间（5%–95%）"},
    "p_top": {"en": "Chance of the top {n}", "zh": "进入前{n}名的概率"},
    "no_audit": {"en": "no audit", "zh": "未做不确定性分析"},
    "fintech_unicorns": {"en": "Fintech unicorns", "zh": "金融科技独角兽"},
    "gfci": {"en": "GFCI rating", "zh": "GFCI评分"},
    "summary": {
        "en": "{city} ranks {rank} of {n} with a score of {score} in {year}{change}.",
        "zh": "{year}年，{city}在{n}个城市中排名第{rank}位，得分{score}{change}。"},
    "summary_change": {"en": " ({change} since {year})", "zh": "（较{year}年{change}）"},
    "summary_interval": {
        "en": "Under the audit's alternative methodologies its rank lies between {lo} and {hi} "
              "in 90% of cases (median {median}); it is in the top {top} in {p} of them.",
        "zh": "在不确定性分析的各种备选方法下，其排名90%落在第{lo}至第{hi}位之间"
              "（中位数第{median}位），进入前{top}名的比例为{p}。"},
    "summary_no_interval": {
        "en": "No uncertainty audit was given, so no rank interval is shown.",
        "zh": "未提供不确定性分析，故不列排名区间。"},
    "dimensions_chart": {"en": "Dimensions and pillars against the top ten",
                         "zh": "各维度与支柱：与前十名对比"},
    "legend_city": {"en": "{city}", "zh": "{city}"},
    "legend_top10": {"en": "Mean of the top ten", "zh": "前十名平均"},
    "legend_peers": {"en": "Mean of its peers", "zh": "相邻城市平均"},
    "chart_axis": {"en": "score (0-100)", "zh": "得分（0–100）"},
    "rankings": {"en": "Rankings: dimension > pillar > indicator",
                 "zh": "排名：维度 > 支柱 > 指标"},
    "col_node": {"en": "Node", "zh": "指标体系"},
    "col_rank": {"en": "Rank", "zh": "排名"},
    "col_score": {"en": "Score", "zh": "得分"},
    "col_change": {"en": "Change", "zh": "变化"},
    "col_raw": {"en": "Raw value", "zh": "原始值"},
    "col_year": {"en": "Year", "zh": "年份"},
    "col_level": {"en": "Level", "zh": "层级"},
    "imputed_note": {
        "en": "* imputed: the value shown was filled in by the method named (no data was "
              "published); country: a country figure given to the city.",
        "zh": "* 插补值：该数值无公开数据，由所列方法填补；国家：以国家数据代表城市。"},
    "imputed_by": {"en": "* imputed ({method})", "zh": "* 插补（{method}）"},
    "strengths": {"en": "Strengths and weaknesses", "zh": "优势与短板"},
    "strengths_rule": {
        "en": "A strength is a node where the city ranks at least three places above its "
              "overall rank ({rank}); a weakness, at least three places below.",
        "zh": "优势指该城市排名比其总排名（第{rank}位）高至少三位的项目；短板指低至少三位的项目。"},
    "strength_line": {"en": "{node}: rank {rank}, {gap} places above its overall rank{raw}.",
                      "zh": "{node}：排名第{rank}位，高于总排名{gap}位{raw}。"},
    "weakness_line": {"en": "{node}: rank {rank}, {gap} places below its overall rank{raw}.",
                      "zh": "{node}：排名第{rank}位，低于总排名{gap}位{raw}。"},
    "raw_clause": {"en": " (raw value {value} {unit}, {year})",
                   "zh": "（原始值{value} {unit}，{year}年）"},
    "none": {"en": "none", "zh": "无"},
    "strength_head": {"en": "Strengths", "zh": "优势"},
    "weakness_head": {"en": "Weaknesses", "zh": "短板"},
    "peers": {"en": "Peers", "zh": "相邻城市"},
    "peers_note": {"en": "The cities ranked just above and below {city}.",
                   "zh": "排名紧邻{city}的城市。"},
    "col_city": {"en": "City", "zh": "城市"},
    "col_gap": {"en": "Gap to {city}", "zh": "与{city}的分差"},
    "history": {"en": "Rank history", "zh": "历年排名"},
    "history_note": {"en": "Rank by edition (1 is the top).", "zh": "各期排名（1为最高）。"},
    "records": {"en": "Counts from company records", "zh": "基于企业记录的统计"},
    "records_note": {
        "en": "Unicorns (private companies valued at USD 1 billion or more) headquartered in "
              "the metro, by CB Insights industry: {source}. Fintech = Financial Services and "
              "Insurance, as the index counts it.",
        "zh": "总部位于该都市区的独角兽企业（估值10亿美元以上的私营公司），按CB Insights行业划分："
              "{source}。金融科技 = 金融服务与保险，与指数口径一致。"},
    "col_industry": {"en": "Industry", "zh": "行业"},
    "col_firms": {"en": "Firms", "zh": "企业数"},
    "col_valuation": {"en": "Valuation (USD bn)", "zh": "估值（十亿美元）"},
    "total": {"en": "Total", "zh": "合计"},
    "no_unicorns": {"en": "No unicorn in the list is headquartered in the metro.",
                    "zh": "该都市区没有总部在此的独角兽企业。"},
    "districts": {"en": "Districts: where inside the metro", "zh": "区域分布：都市区内部"},
    "districts_note": {
        "en": "Location quotient of a place p in an industry s: LQ = (n_ps / n_p) / (N_s / N), "
              "n counts of unicorns headquartered in the place, N in the whole metro; above 1 "
              "the place is specialised in s (Isard 1960). Places with at least {min} "
              "unicorns.",
        "zh": "区位商：LQ = (n_ps / n_p) / (N_s / N)，n为总部位于该地的独角兽数，"
              "N为整个都市区的数量；"
              "大于1表示该地在此行业具有专业化优势（Isard 1960）。仅列独角兽不少于{min}家的地点。"},
    "district_lead": {
        "en": "{firms} unicorns are headquartered in {places} places of the metro. {place} "
              "holds {share} of them and {fin} of its {fin_all} fintech unicorns "
              "(fintech location quotient {lq}).",
        "zh": "该都市区共有{firms}家独角兽，总部分布在{places}个地点。其中{place}占{share}，"
              "拥有全部{fin_all}家金融科技独角兽中的{fin}家（金融科技区位商{lq}）。"},
    "col_place": {"en": "Place", "zh": "地点"},
    "col_area": {"en": "Area", "zh": "区域"},
    "col_statement": {"en": "As stated", "zh": "原文表述"},
    "cb_source": {"en": "CB Insights, Global Unicorn Club, list of {date}",
                  "zh": "CB Insights全球独角兽榜单（{date}）"},
    "col_unicorns": {"en": "Unicorns", "zh": "独角兽"},
    "col_share": {"en": "Share", "zh": "占比"},
    "col_fintech": {"en": "Fintech", "zh": "金融科技"},
    "col_fintech_lq": {"en": "Fintech LQ", "zh": "金融科技区位商"},
    "col_top": {"en": "Most specialised in (firms; LQ)",
                "zh": "专业化程度最高的行业（企业数；区位商）"},
    "district_single": {
        "en": "All {firms} unicorns of the metro are headquartered in {place}: no split "
              "inside the metro is possible from these records.",
        "zh": "该都市区全部{firms}家独角兽的总部均位于{place}，无法据此分析内部区域分布。"},
    "district_left_out": {
        "en": "Left out of the quotients: {n} firm(s) in {place} whose industry cell reads "
              "'{cell}' (a shifted cell in the source).",
        "zh": "未计入区位商：{place}的{n}家企业，其行业栏为“{cell}”（源数据错位）。"},
    "district_notes": {"en": "District statements (cited notes)", "zh": "区域情况（引述）"},
    "district_notes_caveat": {
        "en": "Published statements of different years and definitions (financial companies, "
              "licensed institutions, asset managers, AI-model firms) and of districts and "
              "sub-district clusters: cited as stated, not comparable with each other and "
              "not used in the index.",
        "zh": "以下为不同年份、不同口径（金融企业、持牌机构、资管机构、大模型企业）、不同区域层级"
              "（区与功能区）的公开表述，按原文引用，彼此不可比，亦未用于指数计算。"},
    "methodology": {"en": "Methodology annex", "zh": "方法附录"},
    "methodology_note": {
        "en": "Stages run in COINr's order (OECD/JRC Handbook on Constructing Composite "
              "Indicators, 2008). Methodology hash {hash}.",
        "zh": "各步骤按COINr的顺序执行（OECD/JRC《综合指标构建手册》，2008）。方法哈希值 {hash}。"},
    "col_stage": {"en": "Stage", "zh": "步骤"},
    "col_applies": {"en": "Applies to", "zh": "适用范围"},
    "col_method": {"en": "Method", "zh": "方法"},
    "col_params": {"en": "Parameters", "zh": "参数"},
    "indicators": {"en": "Indicators", "zh": "指标"},
    "col_code": {"en": "Code", "zh": "代码"},
    "col_name": {"en": "Name", "zh": "名称"},
    "col_unit": {"en": "Unit", "zh": "单位"},
    "col_source": {"en": "Source", "zh": "来源"},
    "col_weight": {"en": "Weight", "zh": "权重"},
    "imputed_list": {"en": "Imputed values of {city} in {year}: {list}.",
                     "zh": "{year}年{city}的插补值：{list}。"},
    "page": {"en": "Page", "zh": "第"},
    "level_country": {"en": "country", "zh": "国家"},
    "level_metro": {"en": "metro", "zh": "都市区"},
    "level_city": {"en": "city", "zh": "城市"},
}


def check_lang(lang: str) -> str:
    """Refuse a language that has no reviewed texts (U53)."""
    if lang not in LANGS:
        raise FintechIndexError("U53", f"--lang: '{lang}' is not a language of the white "
                                       f"papers and workbook (languages: {', '.join(LANGS)})")
    return lang


def text(key: str, lang: str, **values) -> str:
    """A fixed phrase in ``lang`` with its fields filled in."""
    return TEXT[key][lang].format(**values)


def localised(name: str, name_zh: object, lang: str) -> str:
    """The Chinese name where the data have one and ``lang`` is zh; else the English."""
    if lang == "zh" and isinstance(name_zh, str) and name_zh.strip():
        return name_zh.strip()
    return name


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def number(v, digits: int = 2, lang: str = "en") -> str:
    """A number with thousands separators (both languages write 1,234.5); missing: '-'."""
    if _missing(v):
        return "-"
    return f"{float(v):,.{digits}f}"


def raw_number(v, lang: str = "en") -> str:
    """A raw value with as many decimals as its size needs (counts as integers)."""
    if _missing(v):
        return "-"
    v = float(v)
    if v.is_integer():
        return f"{v:,.0f}"
    return number(v, 0 if abs(v) >= 1000 else 1 if abs(v) >= 100 else 2, lang)


def rank(v) -> str:
    return "-" if _missing(v) else str(int(v))


def change(v, lang: str) -> str:
    """A rank change (positive: climbed): 'up 2' / '上升2位'; 0: 'unchanged' / '持平'."""
    if _missing(v):
        return {"en": "new", "zh": "新进"}[lang]
    v = int(v)
    if v == 0:
        return {"en": "unchanged", "zh": "持平"}[lang]
    if v > 0:
        return {"en": f"up {v}", "zh": f"上升{v}位"}[lang]
    return {"en": f"down {-v}", "zh": f"下降{-v}位"}[lang]


def share(v, lang: str = "en") -> str:
    return "-" if _missing(v) else f"{100 * float(v):.0f}%"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def day(iso: str, lang: str) -> str:
    """An ISO date as '7 October 2025' / '2025年10月7日'."""
    d = date.fromisoformat(iso)
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


WORKBOOK: dict[str, dict[str, str]] = {
    "about": {"en": "About", "zh": "说明"},
    "ranking": {"en": "Ranking {year}", "zh": "{year}年排名"},
    "data": {"en": "Data and provenance", "zh": "数据与来源"},
    "nodes": {"en": "Nodes", "zh": "指标体系"},
    "methodology": {"en": "Methodology", "zh": "方法"},
    "about_title": {"en": "{index}: edition {year}", "zh": "{index}：{year}年版"},
    "about_intro": {
        "en": "Scores are 0-100 (higher is better); rank 1 is the top. Every value carries its "
              "source and source year; a value that was not published is imputed, shown in "
              "orange with the method that filled it in.",
        "zh": "得分范围0–100（越高越好），排名1为最高。每个数值均注明来源与年份；"
              "无公开数据的数值经插补，以橙色标出并注明插补方法。"},
    "about_sheet": {"en": "Sheet", "zh": "工作表"},
    "about_holds": {"en": "What it holds", "zh": "内容"},
    "about_ranking": {
        "en": "Every city's rank and score on the index and on every dimension, pillar and "
              "indicator in {year}, best first; rank change since the edition before; rank "
              "interval and chance of the top ten when an uncertainty audit was run.",
        "zh": "{year}年各城市在总指数及每个维度、支柱、指标上的排名与得分（按总排名排序）；"
              "较上一期的排名变化；如做了不确定性分析，另列排名区间与进入前十的概率。"},
    "about_data": {
        "en": "Every raw value (unit, year, indicator) as published, the value used after "
              "imputation, its unit, source, source year and figure level (a country figure "
              "given to a city says 'country'); imputed values with their method.",
        "zh": "每个原始数值（城市、年份、指标）、插补后使用的数值、单位、来源、来源年份及数据层级"
              "（以国家数据代表城市者标为“国家”）；插补值注明方法。"},
    "about_nodes": {"en": "The index tree: every node with its parent, level, unit, "
                          "direction, weight and source.",
                    "zh": "指标体系：每个节点的上级、层级、单位、方向、权重与来源。"},
    "about_methodology": {
        "en": "Every choice of the build, stage by stage in COINr's order (OECD/JRC Handbook "
              "2008), with where it applies and its parameters; the methodology hash.",
        "zh": "构建过程中每一步的方法选择（按COINr顺序，OECD/JRC手册2008），适用范围与参数；"
              "方法哈希值。"},
    "about_hash": {"en": "Methodology hash", "zh": "方法哈希值"},
    "about_audit": {"en": "Uncertainty audit", "zh": "不确定性分析"},
    "about_audit_yes": {"en": "rank intervals (5th-95th percentile) from the audit given",
                        "zh": "排名区间（第5至第95百分位）来自所提供的不确定性分析"},
    "about_audit_no": {"en": "none given: no rank intervals",
                       "zh": "未提供：不列排名区间"},
    "rank": {"en": "rank", "zh": "排名"},
    "score": {"en": "score", "zh": "得分"},
    "code": {"en": "code", "zh": "代码"},
    "city": {"en": "city", "zh": "城市"},
    "change": {"en": "rank change", "zh": "排名变化"},
    "p05": {"en": "rank 5%", "zh": "排名5%分位"},
    "p95": {"en": "rank 95%", "zh": "排名95%分位"},
    "p_top": {"en": "P(top {n})", "zh": "进入前{n}概率"},
    "year": {"en": "year", "zh": "年份"},
    "indicator": {"en": "indicator", "zh": "指标代码"},
    "indicator_name": {"en": "indicator name", "zh": "指标名称"},
    "value": {"en": "value", "zh": "原始值"},
    "value_used": {"en": "value used", "zh": "使用值"},
    "unit": {"en": "unit", "zh": "单位"},
    "source": {"en": "source", "zh": "来源"},
    "source_year": {"en": "source year", "zh": "来源年份"},
    "figure_level": {"en": "figure level", "zh": "数据层级"},
    "imputed": {"en": "imputed", "zh": "插补"},
    "treated": {"en": "treated", "zh": "异常值处理"},
    "imputed_by": {"en": "imputed ({method})", "zh": "插补（{method}）"},
    "yes": {"en": "yes", "zh": "是"},
    "node": {"en": "node", "zh": "节点"},
    "name": {"en": "name", "zh": "名称"},
    "parent": {"en": "parent", "zh": "上级"},
    "level": {"en": "level", "zh": "层级"},
    "direction": {"en": "direction", "zh": "方向"},
    "weight": {"en": "weight", "zh": "权重"},
    "stage": {"en": "stage", "zh": "步骤"},
    "applies_to": {"en": "applies to", "zh": "适用范围"},
    "method": {"en": "method", "zh": "方法"},
    "parameters": {"en": "parameters", "zh": "参数"},
}


def wb(key: str, lang: str, **values) -> str:
    """A fixed word of the workbook in ``lang``."""
    return WORKBOOK[key][lang].format(**values)
