"""What depends on the asker's language: how a yes/no question is asked, and the words an
answer is written with (its verdict, its refusal, its punctuation).

An answer is written in the language of its question (assistant/analysis.py detects it
among the collection's languages and English). Reading a question as yes/no is grammar,
not the vocabulary of any subject, so each reader holds for any collection in its language:

- English: assistant/analysis.py (an auxiliary verb first, "whether").
- German: a question sentence that does not open with a question word (wer, was, wann,
  wie, welche, ...; also after a preposition: "Bis wann", "Mit welchem") asks yes or no:
  its finite verb comes first ("Darf ich ...?", "Bekommt Mozilla ...?"), also after a
  leading subordinate clause ("Wenn ich ..., wird es ...?"), or it is a statement asked
  ("Das ist erlaubt?"); "ob" asks it inside a sentence ("Ich möchte wissen, ob ...").
  Alternatives ("... oder ...?") do not.
- Chinese: a question ending in the particle 吗 (么, 嘛), or holding the A-not-A form (a
  character, 不 or 没, the same character: 能不能, 是不是, 有没有) or 是否/能否/可否, and no
  question word (什么, 哪, 谁, 多少, 几, 怎么, 如何, 为什么, ...). Alternatives (还是) do not.

A language without a reader has no yes/no question recognised: its answers come without a
verdict rather than with a wrong one. A language without wording here is answered in its
own language with English verdict and refusal words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.language import UNSPACED_PUNCTUATION, UNSPACED_SCRIPTS, language_name
from index.lexical import DEFAULT_LANGUAGE

_GERMAN_QUESTION_WORD = re.compile(
    r"^(?:\S+\s+)?(?:wer|wen|wem|wessen|was|wann|wo|wohin|woher|wie|warum|weshalb|wieso|weswegen|welche[rsmn]?|"
    r"wo(?:r?(?:an|auf|aus|bei|durch|für|gegen|in|mit|nach|über|um|unter|von|vor|zu)))\b",
    re.I,
)
_GERMAN_DISCOURSE = re.compile(r"^(?:(?:und|also|aber|dann|ok|okay|hallo|bitte|kurze frage|frage)\b[,:]?\s*)+", re.I)
_GERMAN_SUBORDINATE = re.compile(
    r"^(?:wenn|falls|sobald|nachdem|bevor|weil|da|obwohl|während|solange|sofern|angenommen)\b[^?]*?,\s*", re.I
)
_GERMAN_WHETHER = re.compile(r"\bob\b", re.I)
_GERMAN_ALTERNATIVES = re.compile(r"\boder\s+(?!nicht\b)(?:\S+\s*){1,4}\?*$", re.I)
_GERMAN_REQUEST = re.compile(
    r"^(?:kannst|könnt|können|könntest|könnten|würden?st?)\s+(?:du|ihr|sie)\s+(?:mir\s+|uns\s+)?(?:bitte\s+)?", re.I
)

_CJK = re.compile(f"[{UNSPACED_SCRIPTS}]")
_CJK_PUNCTUATION = re.compile(f"[{UNSPACED_PUNCTUATION}]")
CJK_CHARS_PER_WORD = 1.5  # a Chinese word is one to two characters, 1.5 on average


def written_without_spaces(text: str) -> bool:
    """Whether a text (a character, mostly) is of a language written without spaces, or
    its punctuation ("。")."""
    return bool(text) and all(_CJK.match(ch) or _CJK_PUNCTUATION.match(ch) for ch in text)


def word_count(text: str) -> int:
    """Words in a text, for budgets counted in words: white-space words, with a language
    written without spaces (Chinese, Japanese) counted at 1.5 characters a word."""
    cjk = len(_CJK.findall(text))
    spaced = len(_CJK.sub(" ", _CJK_PUNCTUATION.sub(" ", text)).split())
    return spaced + round(cjk / CJK_CHARS_PER_WORD)


_CHINESE_ASKING_PARTICLE = re.compile(r"[吗么嘛][\s？?。！!]*$")
_CHINESE_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1|是否|能否|可否|有无")
_CHINESE_QUESTION_WORD = re.compile(r"什么|哪|谁|多少|几[个天年月周次种条项]|怎么|怎样|如何|为什么|为何|何时|多久|多长")
_CHINESE_ALTERNATIVES = re.compile(r"还是")


def _german_yes_no(sentence: str) -> bool:
    clause = _GERMAN_DISCOURSE.sub("", sentence.strip())
    clause = _GERMAN_SUBORDINATE.sub("", clause)
    request = _GERMAN_REQUEST.match(clause)
    if request:  # "Können Sie mir sagen, ob ...?" asks yes or no; "..., wie ...?" does not
        return bool(_GERMAN_WHETHER.search(clause))
    if _GERMAN_ALTERNATIVES.search(clause):
        return False
    if _GERMAN_WHETHER.search(clause):
        return True
    return clause.rstrip().endswith("?") and not _GERMAN_QUESTION_WORD.match(clause)


def _chinese_yes_no(sentence: str) -> bool:
    if _CHINESE_ALTERNATIVES.search(sentence) or _CHINESE_QUESTION_WORD.search(sentence):
        return False
    return bool(_CHINESE_ASKING_PARTICLE.search(sentence) or _CHINESE_A_NOT_A.search(sentence))


@dataclass(frozen=True)
class Locale:
    """The words and forms of one answer language."""

    code: str
    yes: str = "Yes"
    no: str = "No"
    refusal: str = "The documents do not say."
    unanswered: str = "The documents do not answer “{part}”."
    stop: str = "."  # what ends a sentence
    joiner: str = " "  # what goes between its sentences
    # Whether a capitalised word is a name (not in German, where every noun is capitalised).
    capitals_are_names: bool = True
    negation: re.Pattern = re.compile(
        r"\b(?:no|not|never|none|nor|cannot|without|neither|nothing|nobody)\b|n[’']t\b", re.I
    )
    yes_no: Callable[[str], bool] | None = None  # reads one question sentence (None: English, in analysis)

    @property
    def name(self) -> str:
        """The language's English name ("German"), as the prompt names it."""
        return language_name(self.code).capitalize()

    def verdict_text(self, verdict: str) -> str:
        return (self.yes if verdict == "yes" else self.no) + self.stop


LOCALES = {
    DEFAULT_LANGUAGE: Locale(DEFAULT_LANGUAGE),
    "de": Locale(
        "de",
        yes="Ja",
        no="Nein",
        refusal="Die Dokumente sagen dazu nichts.",
        unanswered="Die Dokumente beantworten „{part}“ nicht.",
        capitals_are_names=False,
        negation=re.compile(r"\b(?:nicht|nie|niemals|kein\w*|nichts|niemand|weder|ohne)\b", re.I),
        yes_no=_german_yes_no,
    ),
    "zh": Locale(
        "zh",
        yes="是",
        no="否",
        refusal="文件中没有相关说明。",
        unanswered="文件没有回答“{part}”。",
        stop="。",
        joiner="",
        negation=re.compile(r"[不没未无]"),
        yes_no=_chinese_yes_no,
    ),
}
# Verdict words of every locale, for reading a draft's opening verdict whatever its language.
VERDICT_WORDS = {w.casefold(): v for loc in LOCALES.values() for w, v in ((loc.yes, "yes"), (loc.no, "no"))}
LEADING_VERDICT = re.compile(
    r"^\s*(" + "|".join(sorted((re.escape(w) for w in VERDICT_WORDS), key=len, reverse=True)) + r")(?!\w)"
    r"\s*[.,:;!。，：；！-]?\s*",
    re.I,
)


def locale_for(code: str | None) -> Locale:
    """The locale of a language code; a language without wording here gets the defaults
    under its own code (so the prompt still asks for an answer in it)."""
    code = code or DEFAULT_LANGUAGE
    return LOCALES.get(code) or Locale(code)


def leading_verdict(text: str) -> tuple[str | None, str]:
    """A verdict word opening a text ("Yes,", "Nein.", "是。") as "yes"/"no", and the rest."""
    match = LEADING_VERDICT.match(text)
    if not match:
        return None, text
    return VERDICT_WORDS[match.group(1).casefold()], text[match.end() :]
