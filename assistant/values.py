"""The checkable facts a sentence states: numbers, amounts, dates, durations and names.

One place for what verification and the answerability policy compare, because these are
what a small model invents most and what any policy text states exactly. English forms:
digits with thousands separators and decimals, "percent", small number words, month
names, time units, capitalised names; numbers also with a decimal comma and in Chinese
numerals, and amounts in any current currency (CLDR's names, symbols and codes). In a
text of another language, its own number words (num2words), month and weekday names and
time units (CLDR) count as well.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter

from assistant.locales import LOCALES
from index.language import SPACED_LETTER, UNSEGMENTED_LETTER, UNSPACED_SCRIPTS
from index.lexical import tokenize

# From two: "one" is mostly a pronoun ("Suzhou is one of the 20 cities"), not a count.
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
# A number starts after anything but a letter or digit of a spaced script: "25" in
# "保留25个月" is a number (Chinese characters are word characters to `\w`).
_NUMBER = re.compile(
    rf"(?<!{SPACED_LETTER})(?<!\.)(\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(\d+))?(?:\s*(%|percent\b|per\s?cent\b|pct\b))?",
    re.I,
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)
# A quantity: a number, then "%" or up to four words with its unit among them ("240 annual
# leave hours"); the two groups of a limit's pattern too (assistant/limits.py).
QUANTITY_NUMBER = r"(\d[\d,]*(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
QUANTITY_UNIT = r"\s*(%|percent\b|per\s?cent\b|[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})"
_QUANTITY = re.compile(rf"(?<![\w.]){QUANTITY_NUMBER}{QUANTITY_UNIT}", re.I)
_UNITLESS = frozenset(tokenize("of the a an and or to in on for per"))
MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\b", re.I)
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[/-]\d{1,2}[/-]\d{1,4}\b")
_UNIT = (
    r"(?:second|minute|hour|day|business\s+day|working\s+day|calendar\s+day|week|month|year|"
    r"pay\s+period|quarter|semester|decade)s?"
)
_DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|{'|'.join(NUMBER_WORDS)}|a|an|one|several|few)(?:\s*\([^()]{{1,30}}\))?\s*(?:-|\s)?{_UNIT}\b"
    r"|\b(?:daily|weekly|monthly|annually|yearly|quarterly|biweekly|immediately)\b",
    re.I,
)
_L = SPACED_LETTER  # a name ends at a Chinese character ("Klar默认": "Klar")
_NAME = re.compile(rf"(?<!{_L})(?<![’'])(?:[A-Z](?:{_L}|[’'&-])*[A-Za-z0-9]|[A-Z]{{2,}}|[A-Z])(?!{_L}|[’'])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“(]\s*|\n)$")
_FUNCTION_WORDS = frozenset(
    """
a an the this that these those it its they their them there here he she his her we our you your i my me
yes no not none both either neither each every all any some many most several other another such
and but or so yet also then thus hence therefore however moreover furthermore additionally overall
finally first second third last meanwhile instead still specifically notably namely indeed currently
previously recently today now only even just while when where which what who whom whose how why if
because since although though unless until after before during under over in on at by for of to as
with from into about above below between among through per via according based given following
regarding including excluding like unlike is are was were be been can could may might must shall
should will would do does did has have had note please see
""".split()
)


# Languages that write a decimal comma and group thousands with a point or a space
# ("2,5 %", "1.000"), as their CLDR number formats do.
DECIMAL_COMMA_LANGUAGES = frozenset(
    "de fr es it nl pt ru pl cs sk sl hr sr bg ro hu da nb nn sv fi et lt lv tr id el uk".split()
)
_NUMBER_DECIMAL_COMMA = re.compile(
    rf"(?<!{SPACED_LETTER})(?<!,)(\d{{1,3}}(?:[.\u00a0\u202f]\d{{3}})+|\d+)(?:,(\d+))?(?:\s*(%|prozent\b|pour\s?cent\b|por\s?ciento\b))?",
    re.I,
)


# Languages that write numbers in Chinese numerals too (Japanese: 三十日, 二万円).
KANJI_NUMERAL_LANGUAGES = frozenset({"zh", "ja"})
# A run of Chinese numeral characters, with the percentage prefix or the ordinal prefix.
_ZH_NUMERAL_RUN = "[零〇一二两三四五六七八九十百千万萬亿億]+"
_ZH_NUMERAL = re.compile(rf"(第)?(百分之)?({_ZH_NUMERAL_RUN})")
_ZH_DIGIT = re.compile(r"[零〇一二两三四五六七八九]")
_ZH_MULTIPLIED = re.compile(rf"(?<!{SPACED_LETTER})(?<!\.)(\d+(?:\.\d+)?)\s*([万萬亿億])")
_ZH_MULTIPLIERS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}


def _canonical(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def chinese_numbers(text: str) -> set[str]:
    """Numbers written in Chinese numerals ("三十天" is 30, "二〇二三年" is 2023, "百分之五十"
    is 50%) and digits with a Chinese multiplier ("2.5万" is 25000), read by cn2an.

    Left out, as "one" and "third" are in English: a lone 一 (一些 "some", 一般 "usually",
    统一 "unified" are words, not counts), runs of multipliers alone (十分 "very", 千万
    "by all means"), ordinals (第三方 "third party"), and runs that are not a numeral
    (万一 "in case")."""
    import cn2an

    out = set()
    for match in _ZH_NUMERAL.finditer(text):
        ordinal, percent, run = match.groups()
        if ordinal or run == "一" or not _ZH_DIGIT.search(run):
            continue
        try:
            value = cn2an.cn2an(run, "normal")
        except (ValueError, KeyError, TypeError):
            continue
        out.add(_canonical(value) + ("%" if percent else ""))
    for match in _ZH_MULTIPLIED.finditer(text):
        out.add(_canonical(float(match.group(1)) * _ZH_MULTIPLIERS[match.group(2)]))
    return out


@functools.cache
def number_words(language: str | None) -> dict[str, int]:
    """A language's number words from two to a hundred, spelled by num2words ("zwei",
    "zehn", "vingt-deux"), as English's are above; none for English (its list is above) or
    a language num2words does not spell. From two, as in English: the word for one is
    mostly an article or a pronoun ("ein", "un"). None written in a script without spaces:
    there a numeral is also a syllable or part of a word (Korean 이 is a particle, 사 the
    end of 회사 "company"; Japanese 三 in 三菱), and Japanese numerals are read by
    `chinese_numbers`' rules instead."""
    from num2words import CONVERTER_CLASSES, num2words

    if not language or language == "en" or language not in CONVERTER_CLASSES:
        return {}
    words = {num2words(n, lang=language).lower(): n for n in range(2, 101)}
    return {} if any(UNSEGMENTED_LETTER.search(word) for word in words) else words


@functools.cache
def _number_word_pattern(language: str | None) -> re.Pattern | None:
    words = number_words(language)
    if not words:
        return None
    return re.compile(rf"(?<!{SPACED_LETTER})({_alternation(set(words))})(?!{SPACED_LETTER})", re.I)


def quantity_value(text: str) -> float | None:
    """A quantity's number, in digits or English words."""
    word = text.lower()
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def unit_words(text: str | None) -> tuple[str, ...]:
    """The candidate unit words after a number, stemmed; ("%",) for a percentage."""
    if not text:
        return ()
    words = text.lower().strip()
    if words.split()[0] in ("%", "percent", "per"):
        return ("%",)
    return tuple(t for t in tokenize(words) if t not in _UNITLESS and not t[:1].isdigit())


def quantities_in(text: str) -> list[tuple[float, str]]:
    """The quantities a text poses, with their units ("300 hours" -> (300, "hour"))."""
    out = []
    for m in _QUANTITY.finditer(text):
        value, units = quantity_value(m.group(1)), unit_words(m.group(2))
        if value is not None and units:
            out.append((value, units[0]))
    return out


def numbers_in(text: str, language: str | None = None) -> set[str]:
    """Numbers as canonical strings: "2,400" and "2400" are "2400"; "30 percent" is "30%";
    small number words count ("four" is "4"). In a language with a decimal comma, "2,5 %"
    is "2.5%" and "1.000" is "1000"; in Chinese, numerals count too ("三十" is "30"); in
    another language, its number words ("zehn" is "10")."""
    out = chinese_numbers(text) if language in KANJI_NUMERAL_LANGUAGES else set()
    if (words := _number_word_pattern(language)) is not None:
        out |= {str(number_words(language)[m.group(1).lower()]) for m in words.finditer(text)}
    if language in DECIMAL_COMMA_LANGUAGES:
        for match in _NUMBER_DECIMAL_COMMA.finditer(text):
            whole, frac, pct = match.groups()
            value = re.sub(r"[.\u00a0\u202f]", "", whole) + (f".{frac}" if frac else "")
            out.add(value + ("%" if pct else ""))
        return out
    for match in _NUMBER.finditer(text):
        whole, frac, pct = match.groups()
        value = whole.replace(",", "") + (f".{frac}" if frac else "")
        out.add(value + ("%" if pct else ""))
    for match in _NUMBER_WORD.finditer(text):
        out.add(str(NUMBER_WORDS[match.group(1).lower()]))
    return out


def bare(numbers: set[str]) -> set[str]:
    return {n.rstrip("%") for n in numbers}


def number_stated(number: str, stated: set[str]) -> bool:
    """Whether a number appears among stated ones. A percentage needs a percentage ("50%"
    is stated by "50 percent", not by "50 years"); a bare number is stated by either (the
    sentence may imply the unit: "capped at 50")."""
    if number.endswith("%"):
        return number in stated
    return number in bare(stated)


def _month_matches(text: str):
    """Month names and abbreviations, but not the lower-case modal "may" ("you may
    cancel"): English capitalises the month, and policies say "may" in most paragraphs."""
    return (m for m in _MONTH.finditer(text) if m.group(1) != "may")


def months_in(text: str) -> set[str]:
    return {m.group(1)[:3].lower() for m in _month_matches(text)}


def has_date(text: str, language: str | None = None) -> bool:
    """A month or weekday name, a year or a numeric date; in a text of another language,
    its own month and weekday names too (CLDR)."""
    if any(_month_matches(text)) or _YEAR.search(text) or _NUMERIC_DATE.search(text) or _WEEKDAY.search(text):
        return True
    calendar = _calendar_pattern(language)
    return bool(calendar and calendar.search(text))


def has_duration(text: str, language: str | None = None) -> bool:
    """A number of time units ("30 days", "two (2) years"); in a text of another language,
    a number (digits, its number words or numerals) before one of its time units as CLDR
    names them ("2 Monate", "zehn Jahren", "三天")."""
    if _DURATION.search(text):
        return True
    units = _duration_pattern(language)
    return bool(units and units.search(text))


def _cldr_locale(language: str | None):
    """The CLDR locale of a language other than English, or None (unknown to CLDR)."""
    if not language or language == "en":
        return None
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None


@functools.cache
def _calendar_pattern(language: str | None) -> re.Pattern | None:
    """The language's month and weekday names (CLDR): in full, and abbreviated where the
    abbreviation holds a digit ("5月") or four letters ("Sept"); shorter ones are words of
    their own too often (German "So", French "mer", Spanish "mar")."""
    locale = _cldr_locale(language)
    if locale is None:
        return None
    names = set()
    for table in (locale.months, locale.days):
        for context in ("format", "stand-alone"):
            names |= set(table.get(context, {}).get("wide", {}).values())
            short = (n.rstrip(".") for n in table.get(context, {}).get("abbreviated", {}).values())
            names |= {n for n in short if re.search(r"\d", n) or len(n) >= 4}
    names = {n for n in names if len(n) > 1}
    if not names:
        return None
    # A name ends at a letter of a spaced script, or at a character of an unspaced one ("5月1日").
    ends = rf"(?:(?<=[{UNSPACED_SCRIPTS}])|(?!{SPACED_LETTER}))"
    return re.compile(rf"(?<!{SPACED_LETTER})(?:{_alternation(names)}){ends}", re.I)


_DURATION_UNITS = ("century", "decade", "year", "quarter", "month", "week", "day", "hour", "minute", "second")
# Languages that write a compound noun as one word: a time unit may end one ("10
# Geschäftstagen", "5 werkdagen", "3 arbetsdagar").
_COMPOUNDING = frozenset({"de", "nl", "sv", "da", "nb", "nn", "no", "fi", "is"})
# Time units that CLDR does not name but that written texts of a language count in: CLDR
# gives Chinese 天, while laws, terms and notices count days in 日, working days in
# (个)工作日 and calendar days in (个)自然日 ("20个工作日内", "三十日内").
_WRITTEN_TIME_UNITS = {"zh": ("日", "工作日", "个工作日", "自然日", "个自然日")}
# In a language written without spaces, a number before the unit of a calendar date is a
# date, not a length of time: a day after a month ("9 月 9 日"), a year before a month
# ("2025 年 10 月").
_NOT_A_LENGTH = r"(?<!月)(?<!月\s)(?![12]\d{3}\s*年\s*[\d零〇一二三四五六七八九十]{1,3}\s*月)"


@functools.cache
def _duration_pattern(language: str | None) -> re.Pattern | None:
    """A number, then the language's name of a time unit as CLDR spells it after 1, 2 and 5
    (its plural forms: "Tag", "Tage"; "день", "дня", "дней"; long forms, else short ones),
    inflected by up to two letters ("Tagen" from "Tage"). Between them, a restatement of
    the number in brackets, as legal texts write it ("2 (zwei) Monate"). In a language that
    writes compounds as one word, the unit may end one ("10 Geschäftstagen")."""
    from babel.units import format_unit

    locale = _cldr_locale(language)
    if locale is None:
        return None
    units = set()
    for unit in _DURATION_UNITS:
        for count in (1, 2, 5):
            for length in ("long", "short"):
                spelled = format_unit(count, f"duration-{unit}", length=length, locale=locale)
                if "duration-" not in spelled:  # babel names the unit itself where CLDR has no such form
                    units.add(re.sub(r"[\d\s\u00a0\u202f]+", " ", spelled).strip())
                    break
    units.update(_WRITTEN_TIME_UNITS.get(locale.language, ()))
    units.discard("")
    if not units:
        return None
    numbers = [r"\d[\d,.]*", _ZH_NUMERAL_RUN]
    if words := number_words(language):
        numbers.append(_alternation(set(words)))
    head = f"{SPACED_LETTER}*?" if locale.language in _COMPOUNDING else ""
    dates = _NOT_A_LENGTH if re.search(f"[{UNSPACED_SCRIPTS}]", "".join(units)) else ""
    return re.compile(
        rf"(?<!{SPACED_LETTER}){dates}(?:{'|'.join(numbers)})(?:\s*\([^()]{{1,30}}\))?\s*{head}(?:{_alternation(units)})"
        rf"{SPACED_LETTER}{{0,2}}(?!{SPACED_LETTER})",
        re.I,
    )


@functools.cache
def _amount_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Amounts of money in any currency in use today (CLDR's data, read by babel): a currency
    symbol before or after a number ("€5", "R$ 20", "5,99 €"), a number before a currency's
    name in a language PolicyQA answers in ("14 florins", "30 rupees", "5 Euro", "250元"),
    an ISO code before or after a number ("CHF 40", "40 CHF"). Names are the last word of
    each currency's name in a spaced script ("Aruban florins": "florins"), and in an
    unspaced one the whole name and, where it ends at least three names, its last character
    (the generic 元). A plural CLDR does not spell is allowed an "s" ("florins")."""
    from babel.core import get_global
    from babel.numbers import get_currency_name, get_currency_symbol, get_territory_currencies

    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes |= set(get_territory_currencies(territory, start_date=dt.date.today(), tender=True))
    names, endings = {"cent", "cents"}, Counter()
    for locale in LOCALES:
        for code in codes:
            for count in (1, 2):
                name = re.sub(r"\(.*?\)", " ", get_currency_name(code, count, locale=locale)).strip()
                if not name:
                    continue
                if re.search(f"[{UNSPACED_SCRIPTS}]$", name):
                    names.add(name)
                    endings[name[-1]] += count == 1
                else:
                    names.add(name.split()[-1].lower())
    names |= {char for char, n in endings.items() if n >= 3}
    symbols = {get_currency_symbol(code, "en") for code in codes}
    symbols = {s for s in symbols if not s.isalpha() and s != "¤"}  # "¤": CLDR's "no symbol"
    by_name = re.compile(
        rf"(?:{_alternation(symbols)})\s?\d|\d[\d,.]*\s?(?:{_alternation(symbols)})"
        rf"|\d[\d,.]*\s?(?:{_alternation(names)})s?(?!{SPACED_LETTER})",
        re.I,
    )
    by_code = re.compile(rf"\b(?:{_alternation(codes)})\s?\d|\d[\d,.]*\s?(?:{_alternation(codes)})\b")
    return by_name, by_code


def _alternation(words: set[str]) -> str:
    """A regex alternation of literal words, longest first (so "US$" wins over "$")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def has_amount(text: str) -> bool:
    by_name, by_code = _amount_patterns()
    return bool(by_name.search(text) or by_code.search(text))


def has_number(text: str, language: str | None = None) -> bool:
    return bool(numbers_in(text, language))


def states_kind(text: str, kind: str, language: str | None = None) -> bool:
    """Whether a text (in `language`, where known) states a value of the kind a question asks for."""
    if kind == "date":
        return has_date(text, language)
    if kind == "duration":
        return has_duration(text, language)
    if kind == "amount":
        return has_amount(text) or "free" in text.lower() or "no cost" in text.lower()
    if kind == "number":
        return has_number(text, language)
    return True


def names_in(text: str, capitals: bool = True) -> set[str]:
    """Capitalised words and acronyms that are not a sentence's first word or a function
    word: the names a sentence brings ("Mullvad", "GSA", "HR Links"). Without `capitals`
    (a language that capitalises every noun, as German does) only acronyms and words
    with a capital inside ("VPN", "McAfee") are names."""
    out = set()
    for match in _NAME.finditer(text):
        word = match.group()
        if not capitals and not any(ch.isupper() for ch in word[1:]):
            continue
        if word.lower() in _FUNCTION_WORDS or _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
            continue
        if len(word) == 1 and word not in ("I",):
            continue
        if word == "I":
            continue
        out.add(word)
    return out
