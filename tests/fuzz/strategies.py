"""Hypothesis strategies for what people, bots and attackers type into a form.

Every field draws from a mix: a valid-looking value (so that some examples go all the way to
the database), that value spoiled (full-width digits, zero-width and bidi characters, emoji,
a control character), hostile text (control characters, NUL, 100 kB), and the wrong type (a
number where text is wanted, text where a number or date is, the field repeated, left out).
"""
from __future__ import annotations

import string
from urllib.parse import quote

from hypothesis import strategies as st

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
        "\u2068", "\u2069"]
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9f"]
EMOJI = ["😀", "👨‍👩‍👧", "🇨🇳", "🧑\u200d💻", "\U0001f4a9"]
ODD = ["\u3000", "\u00a0", "\u2212", "\ufffd", "\u0665", "\u096b", "Ⅻ", "ß", "İ", "'", '"', "<",
       ">", "&", "%", "\\", "/", ";", "--", "{{ 7*7 }}", "<script>", "\u00e9", "e\u0301"]
FULL_WIDTH = str.maketrans("0123456789-:/ABCDEFGHJKLMNPQRSTUVWXYZ",
                           "０１２３４５６７８９－：／ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＳＴＵＶＷＸＹＺ")
HUNDRED_KB = 100_000
HUGE_NUMBERS = [str(2**31), str(2**31 - 1), str(2**63), "9" * 40, "-" + "9" * 20, "1e309", "NaN",
                "-0", "0x1F", "1_000", "٣", "１２", "+1", " 7 "]

# Characters that make up hostile text: mostly the interesting ones, some ordinary ones.
_PIECES = ZERO_WIDTH + BIDI + CONTROL + EMOJI + ODD + list("张三李四0189aZ -:.,") + ["\r\n", "\t"]


def big(piece: str) -> str:
    """``piece`` repeated to about 100 kB (built, not generated: hypothesis stays fast)."""
    return piece * max(1, HUNDRED_KB // len(piece.encode()))


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(_PIECES), max_size=16).map("".join),
        st.text(st.characters(codec="utf-8"), max_size=24),
        st.sampled_from(["", " ", "\x00", "张\x00三", "\u202e三张", "\ufeff", "null", "None",
                         "[]", "{}", "true"]),
        st.sampled_from(HUGE_NUMBERS),
        st.integers().map(str),
        st.floats().map(str),
    )


_HOW = st.sampled_from(["full_width", "insert", "wrap", "pad"])
_PAD = st.sampled_from([" ", "\u3000", "\t", "\r\n"])
_SLIPPED = st.sampled_from(ZERO_WIDTH + BIDI + EMOJI + CONTROL[:3] + ["\x1b", "\u3000"])
_AT = st.integers(0, 40)


@st.composite
def spoiled(draw, valid: st.SearchStrategy[str]) -> str:
    """A valid value with something slipped in, or written in full-width characters."""
    value = draw(valid)
    if isinstance(value, list):  # several ids: spoil one of them
        return [draw(spoiled(st.just(v))) for v in value[:1]] + value[1:] if value else value
    how = draw(_HOW)
    if how == "full_width":
        return value.translate(FULL_WIDTH)
    if how == "pad":
        return draw(_PAD) + value + " "
    extra = draw(_SLIPPED)
    if how == "wrap":
        return extra + value + extra
    at = min(draw(_AT), len(value))
    return value[:at] + extra + value[at:]


def field_value(valid: st.SearchStrategy[str]) -> st.SearchStrategy:
    """One field: mostly a string; sometimes a list (the key repeated), sometimes absent."""
    single = st.one_of(valid, valid, spoiled(valid), hostile_text())
    return st.one_of(single, single, single, single, single, single,
                     st.lists(single, min_size=2, max_size=3), st.just(MISSING))


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

EXTRA_NAMES = ["csrf_token", "id", "status", "role", "admin", "user_id", "confirm", "next", "back",
               "is_working", "publish", "x" * 300, "名字", "a[b]", "\u202ename", "__class__"]


BIG = st.sampled_from(["张", "a", "😀", "\u202e", "1", "\u200b", "0\x00", "١"]).map(big)


def form_data(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict]:
    """Half the examples spoil one field of an otherwise valid form (reaching the rules behind
    it); the other half draw every field from the whole mix. One in sixteen carries a 100 kB
    value (not more: the server's parsing of it is what takes the time). The strategies are
    built here once: hypothesis pays for every strategy object drawn from."""
    names = list(fields)
    mixed = {name: field_value(valid) for name, valid in fields.items()}
    spoilt_field = st.sampled_from(names + [None] * len(names)) if names else st.none()
    big_field = st.sampled_from(names or ["x"])
    extra = st.lists(st.tuples(st.sampled_from(EXTRA_NAMES), st.one_of(hostile_text(), st.just("1"))),
                     max_size=3)

    @st.composite
    def build(draw) -> dict:
        data, spoilt = {}, draw(spoilt_field)
        for name, valid in fields.items():
            value = draw(mixed[name] if spoilt in (None, name) else valid)
            if value is not MISSING:
                data[name] = value
        if draw(st.integers(0, 15)) == 0:
            data[draw(big_field)] = draw(BIG)
        if draw(st.integers(0, 9)) == 0:  # one time in ten: fields the form does not have
            data.update(draw(extra))
        return data

    return build()


# --- valid-looking values ------------------------------------------------------------------------

NAMES = ["张三", "李秀英", "王建国", "欧阳娜娜", "阿依古丽·买买提", "Li Wei", "赵敏"]
TEXTS = ["村里修路征收承包地，补偿款未足额发放。", "县人民来访接待中心", "青石镇人民政府", "副县长", "同意",
         "第一，补偿款未发放。\r\n第二，道路未修复。", "已电话联系", "县自然资源局"]
DATES = ["2026-11-18", "2026-11-23", "2026-11-30", "2026-12-07", "2026-10-08", "2027-01-04",
         "2025-01-01", "2026-02-30", "2099-12-31", "0001-01-01", "9999-12-31", "18/11/2026", ""]
TIMES = ["09:00", "10:30", "14:00", "17:00", "23:59", "00:00", "24:00", "9:5", "25:61", ""]


def texts(limit: int | None = None) -> st.SearchStrategy[str]:
    pool = st.sampled_from(NAMES + TEXTS)
    if limit:  # at the limit, just past it, and short
        return st.one_of(pool, st.integers(max(1, limit - 1), limit + 1).map(lambda n: "字" * n))
    return pool


def integers(low: int = 0, high: int = 10) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low, high).map(str), st.sampled_from(HUGE_NUMBERS + ["-1", "0"]))


def one_of_values(values) -> st.SearchStrategy[str]:
    return st.sampled_from([str(v) for v in values] or [""])


def phones() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(13000000000, 19999999999).map(str),
                     st.sampled_from(["+86 138 0013 8000", "0086-13800138000", "1380013800",
                                      "12345678901", "١٣٨٠٠١٣٨٠٠٠"]))


def id_numbers() -> st.SearchStrategy[str]:
    return st.sampled_from(["33078119700517123X", "330781197005171235", "110105194912310029",
                            "330781 19700517 1235", "33078119700517123x", "000000000000000000",
                            "33078119701317123X", "3307811970051712"])


def path_text(real: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A string path variable: a real one mostly, else hostile — quoted for the URL."""
    return st.one_of(real, real, real, spoiled(real), st.lists(
        st.sampled_from(ZERO_WIDTH + BIDI + EMOJI + list(string.ascii_uppercase + "٣/%.")),
        min_size=1, max_size=12).map("".join)).map(lambda s: quote(s, safe=""))


def path_int(real: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return st.one_of(real.map(str), real.map(str), real.map(str),
                     st.sampled_from(["0", "999999", str(2**31 - 1), str(2**31), "9" * 25]))
