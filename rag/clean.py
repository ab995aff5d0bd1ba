"""Clean stage: remove what web scrapers leave in Chinese news pages.

Each rule is named and every removal is recorded in ``Document.dropped`` (shown by
``rag index --verbose`` and kept in the index), so nothing disappears silently.
The rules are deliberately narrow: a line is dropped only when it is *entirely*
boilerplate, and text inside a sentence is removed only when it is a name this same
document has already shown to be an advertiser (or a broker-ad brand form).
"""
from __future__ import annotations

import re
from dataclasses import replace

from .records import TABLE_ROW, Document, Dropped, Region
from .zh import CJK

# "文章来自网络，不代表本站观点" and friends: repost disclaimers. Optionally led by the
# advertiser's name: "佰朔资本提示:文章来自网络..." -> the name is learned as spam.
_DISCLAIMER = re.compile(
    r"(?:文章|本文|内容|信息)(?:来自|来源于?|转载自)(?:网络|互联网)|不代表本(?:站|网|平台|号)(?:观点|立场)"
    r"|如有侵权[，,]?请?联系|版权归原作者所有|仅供参考[，,]?不构成投资建议"
)
_SPEAKER = re.compile(rf"^([{CJK}A-Za-z]{{2,8}})(?:提示|声明|提醒)[:：]")

# Margin-lending ("配资") broker ads are the commonest injected spam on Chinese finance
# reposts. Their names end in one of these forms.
_BROKER_SUFFIX = r"(?:网配资|配资网|优配网|配资|优配|资本|证券|国际|金融|策略)"
_BROKER_NAME = re.compile(rf"[{CJK}]{{1,4}}?" + _BROKER_SUFFIX)
_STRONG = re.compile(r"配资|优配|杠杆炒股|股票开户")
# Brand forms that never occur as ordinary words, removed even when glued to a sentence start.
_GLUED_BRAND = re.compile(rf"(?:(?<=^)|(?<=[。！？；\n]))[{CJK}]{{0,3}}(?:优配网|配资网|网配资)", re.M)

# App/social promotion lines; only short lines, where the promotion is the whole line.
# (扫码 alone is no promotion: a manual's barcode scanning, "扫码入库", is not one.)
_PROMO = re.compile(
    r"尽在.{0,12}(?:APP|App|app|客户端)|下载.{0,8}(?:APP|App|客户端)|扫码.{0,4}(?:关注|下载|添加|进群|入群|加入|领取|阅读|订阅)"
    r"|长按.{0,6}(?:识别|扫码)|扫描.{0,4}二维码"
    r"|关注(?:我们|公众号|微信)|点击(?:阅读原文|关注|下方|蓝字)|^[-—\s]*往期(?:爆款|推荐|回顾|精选)[-—\s]*$"
    r"|责任编辑[:：]|^(?:分享到|转发到)[:：]?"
)
_PROMO_MAX = 40
_SENTENCE_PUNCT = re.compile(r"[。，,！？!?；;：:“”\"（）()、]")


def _is_ad_run(line: str) -> list[str] | None:
    """A line that is only glued-together broker names, e.g. '长宏网配资盈富优配信泰资本'.
    Returns the names when it is one."""
    s = line.strip()
    if not s or len(s) > 120 or _SENTENCE_PUNCT.search(s) or not _STRONG.search(s):
        return None
    names = _BROKER_NAME.findall(s)
    if len(names) >= 2 and sum(map(len, names)) >= 0.8 * len(s):
        return names
    return None


def clean(doc: Document) -> Document:
    """Return a copy of ``doc`` with boilerplate removed and recorded. Documents with
    regions (PDF pages, slides, chapters, tables, sheets) are cleaned piece by piece, the
    text between regions too, so region offsets stay right. Sheet and table rows are data,
    never cleaned: a dropped line would renumber the rows after it."""
    dropped: list[Dropped] = list(doc.dropped)
    regions = doc.all_regions()
    if not regions:
        return replace(doc, text=clean_text(doc.text, dropped), dropped=dropped)
    out: list[str] = []
    pos = 0

    def emit(piece: str, keep: bool) -> None:
        nonlocal pos
        if not keep:  # whitespace around the text kept: separators between regions stay
            core = piece.strip()
            lead = piece[: len(piece) - len(piece.lstrip())]
            piece = lead + clean_text(core, dropped) + piece[len(lead) + len(core):] if core else piece
        out.append(piece)
        pos += len(piece)

    moved: list[Region] = []
    cursor = 0
    for r in regions:
        emit(doc.text[cursor:r.start], False)
        start = pos
        emit(doc.text[r.start:r.end], r.location.holds_rows)
        moved.append(Region(start, pos, r.location))
        cursor = r.end
    emit(doc.text[cursor:], False)
    text = "".join(out)
    if doc.regions:
        return replace(doc, text=text, regions=moved, pages=_moved_pages(doc.pages, regions, moved, len(text)),
                       dropped=dropped)
    return replace(doc, text=text, pages=[(r.location.number, r.start) for r in moved], dropped=dropped)


def _moved_pages(pages: list[tuple[int, int]], regions: list[Region], moved: list[Region], end: int
                 ) -> list[tuple[int, int]]:
    """A PDF's page starts after cleaning: a PDF with tables has regions of its own, and each
    of its pages starts where its first region does (pdftables.page_regions), so a line
    dropped on page 1 ("扫码关注我们" under a price table) must not leave the later pages'
    starts where they were (a passage on page 3 would be cited as page 2's)."""
    out = []
    for number, start in pages:
        new = next((m.start for r, m in zip(regions, moved) if r.start >= start), end)
        out.append((number, new))
    return out


def clean_text(text: str, dropped: list[Dropped]) -> str:
    spam_names: set[str] = set()
    kept: list[str] = []
    for line in text.split("\n"):
        s = line.strip()
        if s and _DISCLAIMER.search(s) and len(s) <= 80:
            dropped.append(Dropped("disclaimer", s))
            m = _SPEAKER.match(s)
            if m:
                spam_names.add(m.group(1))
            continue
        names = _is_ad_run(s)
        if names:
            dropped.append(Dropped("ad_link_run", s))
            spam_names.update(n for n in names if len(n) >= 3)
            continue
        # (A table's row, "| 键 | 值 |", is data: never a promotion.)
        if s and len(s) <= _PROMO_MAX and _PROMO.search(s) and not TABLE_ROW.match(s):
            dropped.append(Dropped("app_promo", s))
            continue
        kept.append(line)
    text = _remove_glued("\n".join(kept), spam_names, dropped)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _remove_glued(text: str, names: set[str], dropped: list[Dropped]) -> str:
    """Remove advertiser names glued into sentences ('好券网远帆智能的定位是…')."""
    for name in sorted(names, key=len, reverse=True):
        count = text.count(name)
        if count:
            text = text.replace(name, "")
            dropped.extend(Dropped("glued_ad_name", name) for _ in range(count))

    def _drop(m: re.Match) -> str:
        dropped.append(Dropped("glued_ad_name", m.group(0)))
        return ""

    return _GLUED_BRAND.sub(_drop, text)
