"""What depends on the asker's language: how a yes/no question is asked, and the words an
answer is written with (its verdict, its refusal, its punctuation, its negations).

An answer is written in the language of its question (assistant/analysis.py detects it
among the collection's languages and those below). Reading a question as yes/no is grammar,
not the vocabulary of any subject, so each reader holds for any collection in its language:

- English: assistant/analysis.py (an auxiliary verb first, "whether").
- German, French, Spanish, Italian, Portuguese, Dutch, Russian (`QuestionForms`): these
  languages open an open question with a question word (wer, was, wann, wie, welche; qui,
  quand, combien, quel; qué, cuándo, cuánto; что, когда, сколько; ...), also after a
  preposition ("Bis wann", "À quelle date", "До какого"), so a question sentence without
  one asks yes or no: its verb comes first ("Darf ich ...?", "Puis-je ...?"), also after a
  leading subordinate clause ("Wenn ich ..., wird es ...?", "Si je résilie, serai-je
  ...?"), or it is a statement asked ("Das ist erlaubt?", "¿Puedo cancelar?", "Можно
  отменить подписку?"); "whether" (ob, si, se, of, ли) asks it inside a sentence.
  Alternatives ("... oder jährlich?") do not. Words that ask wherever they stand
  ("combien", Spanish question words, which carry an accent) make any sentence open.
- Chinese: a question ending in the particle 吗 (么, 嘛), or holding the A-not-A form (a
  character, 不 or 没, the same character: 能不能, 是不是, 有没有) or 是否/能否/可否, and no
  question word (什么, 哪, 谁, 多少, 几, 怎么, 如何, 为什么, ...). Alternatives (还是) do not.
- Japanese: a question ending in the particle か (ですか, ますか, でしょうか) or asked with
  a question mark, and no question word (何, いつ, どこ, 誰, どう, なぜ, どの, いくら, いくつ,
  ...). Alternatives (それとも) do not.
- Korean: a question asked with a question mark or an asking ending (-까, -나요), and no
  question word (무엇, 언제, 어디, 누구, 어떻게, 왜, 얼마, 몇, 어느). Alternatives (아니면) do
  not.

A draft's talk about its passages ("Es gibt keine Informationen über ...", "文中未提及",
"les passages ne précisent pas ...") is no claim about the documents, in any language:
each locale's `absence` pattern recognises it in the shapes models use for it (the
passages as subject of a negated verb of saying, "is not mentioned", "there is no
information about", "cannot be determined"), as assistant/drafts.py does for English.

The kind of value a question asks for (a length of time, an amount, a number) is read by
each language's question words ("wie lange", "多久", "combien coûte", "cuántos"), so that
the value checks (assistant/values.py, in any language by CLDR) refuse a question asking
for a value no passage states, as they do in English.

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


@dataclass(frozen=True)
class QuestionForms:
    """How a language that marks open questions with question words asks yes or no.

    A question sentence asks yes or no unless a question word opens its main clause (after
    discourse words, a leading subordinate clause, and a preposition: "Bis wann", "À quelle
    date") or, for words that ask wherever they stand ("combien", "cuánto"), appears in it;
    a request ("Können Sie mir sagen, ...") asks yes or no only with "whether"; an
    embedded "whether" makes even a statement ask it; two alternatives ("... oder
    jährlich?") do not. Where the language opens a question with a mark ("¿"), what follows
    the last one is the clause read."""

    question_word: re.Pattern  # matched at the start of the main clause
    discourse: re.Pattern
    subordinate: re.Pattern
    whether: re.Pattern
    alternatives: re.Pattern
    request: re.Pattern
    anywhere: re.Pattern | None = None
    opening_mark: str = ""

    def yes_no(self, sentence: str) -> bool:
        clause = sentence.strip()
        if self.opening_mark and self.opening_mark in clause:
            clause = clause.rsplit(self.opening_mark, 1)[1]
        clause = self.discourse.sub("", clause)
        clause = self.subordinate.sub("", clause)
        if self.anywhere is not None and self.anywhere.search(clause):
            return False
        if self.request.match(clause):
            return bool(self.whether.search(clause))
        if self.question_word.match(clause) or self.alternatives.search(clause):
            return False
        return bool(self.whether.search(clause)) or clause.rstrip().endswith("?")


def _forms(
    question_words: str,
    prepositions: str,
    discourse: str,
    subordinate: str,
    whether: str,
    alternatives: str,
    request: str,
    anywhere: str | None = None,
    opening_mark: str = "",
    alternative_words: int = 4,
) -> QuestionForms:
    """QuestionForms from word lists (regex alternatives, matched case-insensitively; a
    word may end in an apostrophe: "qu'", "d'"). Two alternatives are an "or" followed by
    at most `alternative_words` words before the question mark ("... oder jährlich?"),
    not "or not"."""
    word_end = r"(?:(?<=['’])|(?!\w))"
    return QuestionForms(
        question_word=re.compile(rf"^(?:(?:{prepositions})(?:(?<=['’])|\s+))?(?:{question_words}){word_end}", re.I),
        discourse=re.compile(rf"^(?:(?:{discourse}){word_end}[,:!]?\s*)+", re.I),
        subordinate=re.compile(rf"^(?:{subordinate}){word_end}[^?¿]*?,\s*", re.I),
        whether=re.compile(rf"(?<!\w)(?:{whether}){word_end}", re.I),
        alternatives=re.compile(
            rf"(?<!\w)(?:{alternatives})\s+(?!(?:nicht|pas|non|no|não|niet)(?!\w))"
            rf"(?:\S+\s*){{1,{alternative_words}}}\?+$",
            re.I,
        ),
        request=re.compile(rf"^(?:{request})(?:(?<=[\s'’])|(?!\w))", re.I),
        anywhere=re.compile(rf"(?<!\w)(?:{anywhere}){word_end}", re.I) if anywhere else None,
        opening_mark=opening_mark,
    )


# Each language's grammar of questions (see QuestionForms); nothing here names a subject.
GERMAN_FORMS = _forms(
    question_words=r"wer|wen|wem|wessen|was|wann|wo|wohin|woher|wie|warum|weshalb|wieso|weswegen|welche[rsmn]?|"
    r"wo(?:r?(?:an|auf|aus|bei|durch|für|gegen|in|mit|nach|über|um|unter|von|vor|zu))",
    prepositions=r"\S+",  # any word: "Bis wann", "Mit welchem", "Ab wie vielen"
    discourse=r"und|also|aber|dann|ok|okay|hallo|bitte|kurze frage|frage",
    subordinate=r"wenn|falls|sobald|nachdem|bevor|weil|da|obwohl|während|solange|sofern|angenommen",
    whether=r"ob",
    alternatives=r"oder",
    request=r"(?:kannst|könnt|können|könntest|könnten|würden?st?)\s+(?:du|ihr|sie)\s+(?:mir\s+|uns\s+)?(?:bitte\s+)?",
)
FRENCH_FORMS = _forms(
    question_words=r"qui|que|qu['’]|quoi|quand|où|comment|combien|pourquoi|quel(?:le)?s?|lequel|laquelle|"
    r"lesquel(?:le)?s",
    prepositions=r"à|a|de|d['’]|pour|par|jusqu['’]à|depuis|avec|dans|en|sur|chez|vers|sous|après|avant",
    discourse=r"et|alors|mais|donc|ok|d['’]accord|bonjour|s['’]il vous plaît|svp|petite question|question",
    subordinate=r"si|s['’]|quand|lorsque|lorsqu['’]|puisque|comme|après|avant|au cas où",
    whether=r"si|s['’](?=ils?\b)",
    alternatives=r"ou",
    request=r"(?:pouvez|pourriez|peux|pourrais)[- ](?:vous|tu)\s+(?:me\s+|m['’]\s*|nous\s+)?"
    r"(?:dire|indiquer|expliquer|préciser|confirmer)",
    anywhere=r"combien|quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|qu['’]est-ce|"
    r"(?:quand|où|comment|pourquoi|qui|quoi)(?=\s*\?*$)",
)
SPANISH_FORMS = _forms(
    question_words=r"qu[ée]|qui[ée]n(?:es)?|cu[áa]l(?:es)?|cu[áa]ndo|cu[áa]nt[oa]s?|d[óo]nde|ad[óo]nde|c[óo]mo|"
    r"por qu[ée]|para qu[ée]",
    prepositions=r"a|de|desde|hasta|para|por|con|en|sobre",
    discourse=r"y|entonces|pero|vale|ok|hola|oye|una pregunta|pregunta",
    subordinate=r"si|cuando|aunque|porque|como|después de|antes de|en caso de",
    whether=r"si",
    alternatives=r"o|u",
    request=r"(?:puede|podría|puedes|podrías)\s+(?:usted\s+)?(?:decirme|explicarme|indicarme|confirmarme)",
    # written with an accent, these words ask wherever they stand; without one they link clauses
    anywhere=r"qué|quién(?:es)?|cuál(?:es)?|cuándo|cuánt[oa]s?|dónde|adónde|cómo",
    opening_mark="¿",
)
ITALIAN_FORMS = _forms(
    question_words=r"chi|che|cosa|quale|quali|qual|quando|dove|come|perché|perche|quant[oaie]",
    prepositions=r"a|da|di|per|con|in|su|fino a|entro",
    discourse=r"e|allora|ma|ok|ciao|senti|una domanda|domanda",
    subordinate=r"se|quando|anche se|dopo|prima|poiché|siccome",
    whether=r"se",
    alternatives=r"o|oppure",
    request=r"(?:può|puoi|potrebbe|potresti)\s+(?:dirmi|spiegarmi|indicarmi|confermarmi)",
    anywhere=r"quant[oaie]|quale|quali",
)
PORTUGUESE_FORMS = _forms(
    question_words=r"quem|que|o que|qual|quais|quando|onde|aonde|como|por ?que|porquê|quant[oa]s?",
    prepositions=r"a|de|desde|até|para|por|com|em|sobre",
    discourse=r"e|então|mas|ok|olá|oi|uma pergunta|pergunta",
    subordinate=r"se|quando|embora|depois de|antes de|caso",
    whether=r"se",
    alternatives=r"ou",
    request=r"(?:pode|poderia|podes|poderias)\s+(?:me\s+)?(?:dizer|explicar|indicar|confirmar)(?:-me)?",
    anywhere=r"quant[oa]s?|qual|quais",
)
DUTCH_FORMS = _forms(
    question_words=r"wie|wat|wanneer|waar\w*|hoe\w*|waarom|welk(?:e)?|wiens",
    prepositions=r"\S+",  # any word: "Tot wanneer", "Met welke"
    discourse=r"en|dus|maar|dan|ok|oké|hallo|vraagje|vraag",
    subordinate=r"als|wanneer|indien|zodra|nadat|voordat|omdat|hoewel|tenzij",
    whether=r"of",
    alternatives=r"of",
    request=r"(?:kunt|kun|kan|zou)\s+(?:u|je|jij)\s+(?:mij\s+|me\s+)?(?:vertellen|zeggen|uitleggen|bevestigen)",
    alternative_words=2,  # "of" also means "whether": "Weet u of ik kan opzeggen?"
)
RUSSIAN_FORMS = _forms(
    question_words=r"что|чем|чего|когда|где|куда|откуда|кто|кому|кого|как\w*|почему|зачем|сколько|чей|чья|чь[её]|котор\w+",
    prepositions=r"в|во|на|до|с|со|по|за|для|к|от|из|о|об|при|через|после",
    discourse=r"а|и|но|так|итак|здравствуйте|скажите|подскажите|вопрос",
    subordinate=r"если|когда|хотя|после\s+того\s+как|пока",
    whether=r"ли",
    alternatives=r"или",
    request=r"(?:скажите|подскажите|объясните|уточните)(?:,)?",
    anywhere=r"сколько|почему|зачем",
)

_CJK = re.compile(f"[{UNSPACED_SCRIPTS}]")
_CJK_PUNCTUATION = re.compile(f"[{UNSPACED_PUNCTUATION}]")


def written_without_spaces(text: str) -> bool:
    """Whether a text (a character, mostly) is of a language written without spaces, or
    its punctuation ("。")."""
    return bool(text) and all(_CJK.match(ch) or _CJK_PUNCTUATION.match(ch) for ch in text)


@dataclass(frozen=True)
class MarkedQuestions:
    """How a language that marks a yes/no question in the sentence itself (a particle, an
    ending, a question mark) asks it: the mark (`asking`), and no question word or offered
    alternatives anywhere in the sentence (such a language does not move them to the front)."""

    asking: re.Pattern
    question_word: re.Pattern
    alternatives: re.Pattern

    def yes_no(self, sentence: str) -> bool:
        if self.alternatives.search(sentence) or self.question_word.search(sentence):
            return False
        return bool(self.asking.search(sentence))


# Chinese: the particle 吗 or the A-not-A form (see the module docstring).
CHINESE_QUESTIONS = MarkedQuestions(
    asking=re.compile(r"[吗么嘛][\s？?。！!]*$|([\u4e00-\u9fff])[不没]\1|是否|能否|可否|有无"),
    question_word=re.compile(r"什么|哪|谁|多少|几[个天年月周次种条项]|怎么|怎样|如何|为什么|为何|何时|多久|多长"),
    alternatives=re.compile(r"还是"),
)
# Japanese: "か、...か？" also offers alternatives.
JAPANESE_QUESTIONS = MarkedQuestions(
    asking=re.compile(r"[?？]\s*$|(?:か|でしょうか)[。\s]*$"),
    question_word=re.compile(
        r"何|なに|なん[でだのにと]|いつ|どこ|どちら|どっち|誰|だれ|どう|なぜ|なんで|どの|どれ|どんな|いくら|いくつ|幾"
    ),
    alternatives=re.compile(r"それとも|か[、,]\s*[^か？?]+か[？?]"),
)
# Korean: the question mark or an asking ending (-까, -나요).
KOREAN_QUESTIONS = MarkedQuestions(
    asking=re.compile(r"[?？]\s*$|(?:까|나요)[.\s]*$"),
    question_word=re.compile(r"무엇|뭐|무슨|언제|어디|누구|누가|어떻게|어떤|어떠|왜|얼마|몇|어느"),
    alternatives=re.compile(r"아니면|[을를]\s*또는"),
)


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
    yes_no: Callable[[str], bool] | None = None  # reads one question sentence (English: in analysis)
    absence: re.Pattern | None = None  # a sentence saying the passages lack something (English: in drafts)
    # (kind, pattern) of the values a question asks for by its question words, first match
    # wins (English: in analysis)
    kinds: tuple[tuple[str, re.Pattern], ...] = ()

    def kind_of(self, clause: str) -> str:
        """The kind of value a question clause asks for ("duration", "amount", "number"),
        or "fact"."""
        return next((kind for kind, pattern in self.kinds if pattern.search(clause)), "fact")

    @property
    def name(self) -> str:
        """The language's English name ("German"), as the prompt names it."""
        return language_name(self.code).capitalize()

    def verdict_text(self, verdict: str) -> str:
        return (self.yes if verdict == "yes" else self.no) + self.stop


def _negation(negator: str, completers: str, alone: str, fronted: str = "") -> re.Pattern:
    """A negation counted once however many words it takes: a negator with the word that
    completes it ("ne ... pas", "no ... nunca"), a completer put before it ("aucun ... n'"),
    or a word that negates alone ("sans")."""
    negates = rf"\b(?:{negator})(?:(?<=['’])|\b)"
    first = rf"\b(?:{fronted})\b[^.;:]*?{negates}|" if fronted else ""
    return re.compile(rf"{first}{negates}(?:[^.;:]*?\b(?:{completers})\b)?|\b(?:{alone})\b", re.I)


def _absence(subjects: str, negated_saying: str, *shapes: str) -> re.Pattern:
    """A language's talk about the passages (see the module docstring): one of its nouns
    for the passages or what they give (`subjects`), then within the clause a negated verb
    of saying (`negated_saying`); or any of the other `shapes`. Verbs of saying only, as in
    English: a document may well state that data is "not kept" or a service "not offered"."""
    said_of_passages = rf"\b(?:{subjects})\b[^.;:!?]{{0,60}}?(?:{negated_saying})"
    return re.compile("|".join([said_of_passages, *shapes]), re.I)


_GERMAN_SAYING = (
    r"(?:erwähn|nenn|beschreib|enthalt|sag|spezifizier|beantwort|liefer|erklär)(?:en|et|t|e|n)?\b|enthält\b"
)
_GERMAN_ABSENCE = _absence(
    r"Passagen?|Textstellen?|Texte?|Textabschnitte?|Abschnitte?|Kontext|Quellen?|Dokumente?|Informationen|Angaben",
    rf"\b(?:{_GERMAN_SAYING})[^.;:!?]{{0,60}}?\b(?:nicht|kein\w*)\b|\b(?:nicht|kein\w*)\b[^.;:!?]{{0,60}}?\b(?:{_GERMAN_SAYING})",
    r"\bnicht\s+(?:explizit\s+|ausdrücklich\s+|direkt\s+|genau\s+)?(?:erwähnt|genannt|angegeben|spezifiziert|"
    r"beschrieben|thematisiert)\b",
    r"\b(?:es\s+gibt|enthalten|liefern)\s+(?:\w+\s+){0,2}keine\s+(?:\w+\s+)?"
    r"(?:Informationen|Angaben|Hinweise|Erwähnung|Details|Passagen|Textstellen|Belege)\b",
    r"\b(?:nicht\s+möglich|unmöglich|kann\s+nicht|können\s+nicht|lässt\s+sich\s+nicht)\b[^.;:!?]{0,40}?"
    r"\b(?:(?:zu\s+)?(?:beantworten|beantwortet|bestimmen|bestimmt|festzustellen|feststellen|entnehmen|entnommen|"
    r"sagen)|Antwort|Frage)\b",
    r"\b(?:Frage|Antwort)\b[^.;:!?]{0,30}?\bnicht\s+(?:erfüllt|beantwortet|beantwortbar|enthalten)\b",
)
# Not 信息 or 内容 as the subject: a policy's sentences are about the user's information.
_CHINESE_ABSENCE = re.compile(
    r"(?:段落|文段|文章|文本|文中|资料|材料|文件|上下文|原文)[^。，；！？]{0,10}?"
    r"(?:没有|未|并未|并没有)(?:明确|具体|直接)?(?:提到|提及|说明|指出|提供|给出|包含|涉及|回答|说)"
    r"|(?:没有|并无|缺乏)(?:相关|具体|明确|关于[^。，；]{1,20}的)(?:信息|说明|资料|描述)|没有(?:提到|提及)"
    r"|(?:无法|不能)(?:确定|回答|判断|得知|得出)"
    r"|并?未(?:明确|具体)?(?:提及|提到)"
)
_JAPANESE_ABSENCE = re.compile(
    r"(?:記載|言及|明記|説明|記述|指定)(?:が|は)?(?:されて|して)?(?:いません|いない|ありません|ない)"
    r"|(?:情報|記載|言及|説明)(?:が|は)(?:ありません|ない|見当たりません)"
    r"|(?:判断|回答|特定|確認)(?:することが|は)?でき(?:ません|ない)"
    r"|(?:文書|文章|本文|資料|パッセージ)(?:に|で|には|では)[^。！？]{0,20}?(?:触れられて|述べられて|書かれて)(?:いません|いない)"
)
_KOREAN_ABSENCE = re.compile(
    r"(?:언급|명시|기재|설명|기술)(?:되어\s*있지\s*않|되지\s*않|이\s*없|하지\s*않)"
    r"|(?:정보|내용|언급)(?:가|는|이|은)\s*없"
    r"|(?:알|판단할|확인할|답할|결정할)\s*수\s*없"
)
_RUSSIAN_ABSENCE = _absence(
    r"текст\w*|документ\w*|отрыв\w*|фрагмент\w*|источник\w*|контекст\w*|информаци\w*|сведени\w*",
    r"\bне\s+(?:\w+\s+)?(?:упомина\w*|указ\w*|говорит\w*|сказано|уточня\w*|описыва\w*)",
    r"\bне\s+(?:упоминается|указано|указывается|уточняется|сказано|говорится)\b",
    r"\bнет\s+(?:\w+\s+)?(?:информации|сведений|упоминани\w*)\b",
    r"\bневозможно\s+(?:определить|сказать|ответить|установить)\b",
)
_FRENCH_ABSENCE = _absence(
    r"passages?|extraits?|textes?|documents?|sources?|contexte|informations?",
    r"\b(?:ne|n['’])\s*(?:\w+\s+)?(?:mentionn|précis|indiqu|donn|parl|abord|évoqu|spécifi)(?:e|ent)\b"
    r"|\b(?:ne|n['’])\s*(?:\w+\s+)?(?:dit|disent|contient|contiennent|fournit|fournissent|répond|répondent)\b",
    r"\b(?:n['’]est|ne\s+sont|n['’]a\s+été|n['’]ont\s+été)\s+pas\s+(?:\w+ment\s+)?"
    r"(?:mentionn|précis|indiqu|spécifi|évoqu)ée?s?\b",
    r"\b(?:il\s+n['’]y\s+a|ne\s+(?:contiennent|contient|fournissent|fournit|donnent|donne))\s+aucune?\s+(?:\w+\s+)?"
    r"(?:information|mention|précision|indication|détail)s?\b",
    r"\b(?:impossible\s+de|ne\s+(?:peut|peuvent|permet|permettent)\s+pas\s+(?:de\s+|d['’])?)\s*"
    r"(?:déterminer|dire|répondre|savoir|conclure|confirmer|être\s+déterminé)",
)
_SPANISH_ABSENCE = _absence(
    r"pasajes?|fragmentos?|textos?|documentos?|fuentes?|contexto|información",
    r"\bno\s+(?:se\s+)?(?:\w+\s+)?(?:menciona|especifica|indica|dice|contiene|proporciona|da|responde|habla|aborda|"
    r"detalla)n?\b",
    r"\bno\s+se\s+(?:menciona|especifica|indica|detalla|precisa)n?\b",
    r"\bno\s+hay\s+(?:\w+\s+)?(?:información|mención|menciones|detalles)\s+(?:sobre|acerca|respecto|de)\b",
    r"\bno\s+(?:es\s+posible|se\s+puede)\s+(?:determinar|decir|responder|saber|confirmar|concluir)\b",
)
_ITALIAN_ABSENCE = _absence(
    r"passaggi|passaggio|brani?|testi?|documenti?|fonti?|contesto|informazioni",
    r"\bnon\s+(?:\w+\s+)?(?:menzion|specific|indic|contien|fornisc|rispond|parl|tratt)(?:a|ano|e|ono)\b"
    r"|\bnon\s+(?:\w+\s+)?(?:dice|dicono|dà|danno)\b",
    r"\bnon\s+(?:è|sono|viene|vengono)\s+(?:\w+mente\s+)?(?:menzionat|specificat|indicat|precisat)[oaie]\b",
    r"\bnon\s+(?:ci\s+sono|c['’]è)\s+(?:\w+\s+)?(?:informazion[ei]|menzion[ei]|dettagli)\b",
    r"\b(?:non\s+è\s+possibile|impossibile)\s+(?:determinare|dire|rispondere|sapere|confermare|stabilire)\b",
)
_PORTUGUESE_ABSENCE = _absence(
    r"passagens?|trechos?|textos?|documentos?|fontes?|contexto|informaç(?:ão|ões)",
    r"\bnão\s+(?:\w+\s+)?(?:menciona|especifica|indica|fornece|responde|fala|aborda)m?\b"
    r"|\bnão\s+(?:\w+\s+)?(?:diz|dizem|contém|contêm|dá|dão)\b",
    r"\bnão\s+(?:é|são|foi|foram)\s+(?:\w+mente\s+)?(?:mencionad|especificad|indicad|informad)[oa]s?\b",
    r"\bnão\s+há\s+(?:\w+\s+)?(?:informaç(?:ão|ões)|menç(?:ão|ões)|detalhes)\b",
    r"\bnão\s+é\s+possível\s+(?:determinar|dizer|responder|saber|confirmar|concluir)\b",
)
_DUTCH_ABSENCE = _absence(
    r"passages?|fragmenten?|teksten?|documenten?|bronnen?|context|informatie",
    r"\b(?:vermeld(?:en|t)?|noem(?:en|t)|bevat(?:ten)?|geven|geeft|zeggen|zegt|specificer(?:en|t)|"
    r"beantwoord(?:en|t)?|beschrijv(?:en)|beschrijft)\s+(?:\w+\s+)?(?:niet|geen)\b",
    r"\b(?:wordt|worden|is|zijn)\s+(?:\w+\s+)?niet\s+(?:expliciet\s+)?(?:vermeld|genoemd|gespecificeerd|"
    r"aangegeven|beschreven)\b",
    r"\bgeen\s+(?:\w+\s+)?(?:informatie|vermelding|details)\s+(?:over|van|betreffende)\b",
    r"\b(?:niet\s+mogelijk|onmogelijk|kan\s+niet)\b[^.;:!?]{0,30}?\b(?:te\s+)?(?:bepalen|zeggen|beantwoorden|"
    r"vaststellen)\b",
)


def _kinds(duration: str, amount: str, number: str) -> tuple[tuple[str, re.Pattern], ...]:
    """A language's question words for a length of time ("wie lange", "多久"), an amount of
    money (how much, with a verb or noun of paying or costing) and a number ("wie viele",
    "多少"), in that order: "how many days" asks for a duration before a number. Dates are
    not read: "bis wann" is as often answered by a length of time ("innerhalb von 30
    Tagen") as by a date, and a date asked for and not given refuses the answer."""
    return tuple(
        (kind, re.compile(pattern, re.I))
        for kind, pattern in (("duration", duration), ("amount", amount), ("number", number))
    )


# Each language's question words for kinds of value (see `_kinds`); nothing here names a subject.
GERMAN_KINDS = _kinds(
    duration=r"\bwie\s+lange?\b|\bwie\s+bald\b|\bwie\s*viel\s+zeit\b|\bin\s+welche[rm]\s+(?:frist|zeitraum)\b"
    r"|\bwie\s*viele\s+(?:jahre|monate|wochen|tage|stunden|minuten)\b|\bwelche\s+frist\b",
    amount=r"\bwie\s*viel\b.*\b(?:kost\w*|(?:be)?zahl(?:e|en|t|st)|gebühr\w*|preis\w*|erstatt\w*|schulde\w*)\b"
    r"|\bwie\s+teuer\b|\bwas\s+kostet\b",
    number=r"\bwie\s*viele?\b|\bwie\s+hoch\b|\bwie\s+alt\b|\bwelche[rsn]?\s+(?:anzahl|prozentsatz|anteil|alter)\b",
)
CHINESE_KINDS = _kinds(
    duration=r"多久|多长时间|多长的时间|几[天年周]|几个(?:星期|月|小时)|多少(?:天|年|周|个月|个星期|小时|分钟)",
    amount=r"多少钱|(?:费用|价格|金额|收费)(?:是)?多少|(?:支付|付|花|收取|退还|赔偿|赔|承担)多少",
    number=r"多少|几(?!乎)",
)
JAPANESE_KINDS = _kinds(
    duration=r"どの(?:くらい|ぐらい)の(?:期間|間|時間)|どれ(?:くらい|ぐらい)の(?:期間|間|時間)|何(?:日|か月|ヶ月|カ月|年|週間|時間|分)"
    r"|いつまで|どの(?:くらい|ぐらい)(?:保存|保管|保持|かか|待)",
    amount=r"いくら|(?:料金|費用|金額|価格|手数料|返金額)(?:は|が)(?:いくら|どの(?:くらい|ぐらい))",
    number=r"何(?:人|個|件|回|歳|台|つ|パーセント|%)|いくつ|どの(?:くらい|ぐらい)",
)
KOREAN_KINDS = _kinds(
    duration=r"얼마나\s*오래|얼마\s*동안|며칠|몇\s*(?:일|개월|달|년|주|시간|분)|기간[은이]\s*얼마|언제까지",
    amount=r"(?:비용|요금|가격|금액|수수료|환불액)[은는이가]?\s*얼마|얼마(?:예요|에요|입니까|인가요|죠)",
    number=r"몇\s*(?:명|개|대|번|살|세|건|퍼센트)|몇|얼마나\s*많",
)
RUSSIAN_KINDS = _kinds(
    duration=r"\bкак\s+долго\b|\bсколько\s+(?:времени|дней|недель|месяцев|лет|часов|минут)\b|\bв\s+какой\s+срок\b"
    r"|\bкакой\s+срок\b|\bв\s+течение\s+какого\b",
    amount=r"\bсколько\b.*\b(?:сто\w*|плат\w*|заплат\w*|денег|вернут\w*|возмест\w*)\b"
    r"|\bкакова\s+(?:стоимость|цена|сумма)\b",
    number=r"\bсколько\b|\bкакой\s+процент\b|\bс\s+какого\s+возраста\b",
)
FRENCH_KINDS = _kinds(
    duration=r"\bcombien\s+de\s+(?:temps|jours|semaines|mois|ans|années|heures|minutes)\b|\bpendant\s+combien\b"
    r"|\bdans\s+quel\s+délai\b|\bquel\s+(?:est\s+le\s+)?délai\b",
    amount=r"\bcombien\b.*\b(?:co[uû]t\w*|pa(?:y|i)\w*|frais|prix|rembours\w*|factur\w*)\b"
    r"|\bquel\s+(?:est\s+le\s+)?(?:prix|montant|tarif)\b",
    number=r"\bcombien\b|\bquel(?:le)?\s+(?:est\s+)?(?:le\s+|l['’])?(?:nombre|pourcentage|âge)\b",
)
# Spanish: the question words with their accent only ("en cuanto a" means "as regards").
SPANISH_KINDS = _kinds(
    duration=r"\bcuánto\s+tiempo\b|\bcuánt[oa]s\s+(?:días|semanas|meses|años|horas|minutos)\b"
    r"|\b(?:en|dentro\s+de)\s+qué\s+plazo\b|\bqué\s+plazo\b",
    amount=r"\bcuánto\b.*\b(?:cuest\w*|cost\w*|pag\w*|cobr\w*|tarifa\w*|precio\w*|reembols\w*)\b|\bqué\s+precio\b",
    number=r"\bcuánt[oa]s?\b|\bqué\s+(?:porcentaje|número|edad)\b",
)
# Italian: not "in quanto" (since), "per quanto" (as far as).
ITALIAN_KINDS = _kinds(
    duration=r"\bquanto\s+tempo\b|\bquant[ie]\s+(?:giorni|settimane|mesi|anni|ore|minuti)\b|\bentro\s+quanto\b"
    r"|\bentro\s+quale\s+termine\b",
    amount=r"(?<!in\s)(?<!per\s)\bquanto\b.*\b(?:cost\w*|pag\w*|prezz\w*|tariff\w*|rimbors\w*|addebit\w*)\b",
    number=r"(?<!in\s)(?<!per\s)\bquant[oaie]\b|\bquale\s+percentuale\b|\bche\s+età\b",
)
PORTUGUESE_KINDS = _kinds(
    duration=r"\bquanto\s+tempo\b|\bquant[oa]s\s+(?:dias|semanas|meses|anos|horas|minutos)\b"
    r"|\bem\s+que\s+prazo\b|\bqual\s+(?:é\s+)?o\s+prazo\b",
    amount=r"\bquanto\b.*\b(?:cust\w*|pag\w*|cobr\w*|preço\w*|taxa\w*|reembols\w*)\b",
    number=r"\bquant[oa]s?\b|\bqual\s+(?:é\s+)?a\s+(?:percentagem|porcentagem|idade)\b",
)
DUTCH_KINDS = _kinds(
    duration=r"\bhoe\s+lang\b|\bhoeveel\s+(?:tijd|dagen|weken|maanden|jaren|jaar|uur|uren|minuten)\b"
    r"|\bbinnen\s+welke\s+termijn\b|\bwelke\s+termijn\b",
    amount=r"\bhoeveel\b.*\b(?:kost\w*|betaal\w*|betal\w*|prijs|tarief|vergoed\w*|terugbeta\w*)\b|\bwat\s+kost\w*\b",
    number=r"\bhoeveel\b|\bhoe\s+oud\b|\bwelk\s+percentage\b",
)

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
        yes_no=GERMAN_FORMS.yes_no,
        absence=_GERMAN_ABSENCE,
        kinds=GERMAN_KINDS,
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
        yes_no=CHINESE_QUESTIONS.yes_no,
        absence=_CHINESE_ABSENCE,
        kinds=CHINESE_KINDS,
    ),
    "ja": Locale(
        "ja",
        yes="はい",
        no="いいえ",
        refusal="文書には記載がありません。",
        unanswered="文書は「{part}」に答えていません。",
        stop="。",
        joiner="",
        negation=re.compile(r"ない|ません|無い|なし|無し"),  # a negated verb or adjective; "none"
        yes_no=JAPANESE_QUESTIONS.yes_no,
        absence=_JAPANESE_ABSENCE,
        kinds=JAPANESE_KINDS,
    ),
    "ko": Locale(
        "ko",
        yes="예",
        no="아니요",
        refusal="문서에 관련 내용이 없습니다.",
        unanswered="문서는 “{part}”에 답하지 않습니다.",
        # 않/없/못/아니 negate a verb or adjective; 안 before one; 불가 "not possible".
        negation=re.compile(r"않|없|못|아니|(?<!\S)안(?=\s)|불가"),
        yes_no=KOREAN_QUESTIONS.yes_no,
        absence=_KOREAN_ABSENCE,
        kinds=KOREAN_KINDS,
    ),
    "ru": Locale(
        "ru",
        yes="Да",
        no="Нет",
        refusal="В документах об этом ничего не сказано.",
        unanswered="Документы не отвечают на вопрос «{part}».",
        negation=re.compile(r"\b(?:не|нет|ни|никогда|ничего|никто|никакой|нельзя|без)\b", re.I),
        yes_no=RUSSIAN_FORMS.yes_no,
        absence=_RUSSIAN_ABSENCE,
        kinds=RUSSIAN_KINDS,
    ),
    "fr": Locale(
        "fr",
        yes="Oui",
        no="Non",
        refusal="Les documents ne le disent pas.",
        unanswered="Les documents ne répondent pas à « {part} ».",
        negation=_negation(
            r"ne|n['’]",
            r"pas|jamais|plus|rien|personne|aucun\w*|nul\w*|guère",
            r"pas|jamais|aucun\w*|sans|non",
            fronted=r"aucun\w*|personne|rien|nul\w*",
        ),
        yes_no=FRENCH_FORMS.yes_no,
        absence=_FRENCH_ABSENCE,
        kinds=FRENCH_KINDS,
    ),
    "es": Locale(
        "es",
        yes="Sí",
        no="No",
        refusal="Los documentos no lo dicen.",
        unanswered="Los documentos no responden a «{part}».",
        negation=_negation(
            r"no", r"nunca|jamás|nada|nadie|ningun\w*|ningún|tampoco", r"nunca|jamás|nada|nadie|ningun\w*|ningún|sin"
        ),
        yes_no=SPANISH_FORMS.yes_no,
        absence=_SPANISH_ABSENCE,
        kinds=SPANISH_KINDS,
    ),
    "it": Locale(
        "it",
        yes="Sì",
        no="No",
        refusal="I documenti non lo dicono.",
        unanswered="I documenti non rispondono a «{part}».",
        negation=_negation(r"non", r"mai|niente|nulla|nessun\w*|più", r"mai|niente|nulla|nessun\w*|senza|né"),
        yes_no=ITALIAN_FORMS.yes_no,
        absence=_ITALIAN_ABSENCE,
        kinds=ITALIAN_KINDS,
    ),
    "pt": Locale(
        "pt",
        yes="Sim",
        no="Não",
        refusal="Os documentos não o dizem.",
        unanswered="Os documentos não respondem a «{part}».",
        negation=_negation(r"não", r"nunca|jamais|nada|ninguém|nenhum\w*", r"nunca|jamais|nada|ninguém|nenhum\w*|sem"),
        yes_no=PORTUGUESE_FORMS.yes_no,
        absence=_PORTUGUESE_ABSENCE,
        kinds=PORTUGUESE_KINDS,
    ),
    "nl": Locale(
        "nl",
        yes="Ja",
        no="Nee",
        refusal="De documenten zeggen dit niet.",
        unanswered="De documenten beantwoorden “{part}” niet.",
        negation=re.compile(r"\b(?:niet|geen|nooit|niets|niemand|noch|zonder)\b", re.I),
        yes_no=DUTCH_FORMS.yes_no,
        absence=_DUTCH_ABSENCE,
        kinds=DUTCH_KINDS,
    ),
}


def _verdict_pattern(locales) -> tuple[dict[str, str], re.Pattern]:
    """The verdict words of some locales, and a pattern reading one at the start of a text
    ("Yes,", "Nein.", "是。"), not the start of a longer word ("Non-members", "Nobody")."""
    words = {w.casefold(): v for loc in locales for w, v in ((loc.yes, "yes"), (loc.no, "no"))}
    pattern = re.compile(
        r"^\s*(" + "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True)) + r")(?![\w-])"
        r"\s*[.,:;!。，：；！-]?\s*",
        re.I,
    )
    return words, pattern


# Any locale's verdict words, for a text whose language is not known; a known language's
# own, and English's (a small model answers in English at times).
VERDICTS_ANY = _verdict_pattern(LOCALES.values())
VERDICTS_OF = {
    code: _verdict_pattern([LOCALES[DEFAULT_LANGUAGE], loc]) if code != DEFAULT_LANGUAGE else _verdict_pattern([loc])
    for code, loc in LOCALES.items()
}


def locale_for(code: str | None) -> Locale:
    """The locale of a language code; a language without wording here gets the defaults
    under its own code (so the prompt still asks for an answer in it)."""
    code = code or DEFAULT_LANGUAGE
    return LOCALES.get(code) or Locale(code)


def leading_verdict(text: str, language: str | None = None) -> tuple[str | None, str]:
    """A verdict word opening a text ("Yes,", "Nein.", "是。") as "yes"/"no", and the rest;
    in a text of a known `language`, that language's verdict words and English's only (so
    "SIM cards ..." opening an English answer is not the Portuguese "Sim")."""
    words, pattern = VERDICTS_OF.get(language, VERDICTS_ANY) if language else VERDICTS_ANY
    match = pattern.match(text)
    if not match:
        return None, text
    return words[match.group(1).casefold()], text[match.end() :]
