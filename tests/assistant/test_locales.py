"""Questions and answers in the asker's language: yes/no forms of German, French, Spanish,
Italian, Portuguese, Dutch and Chinese, verdict words, negations, sentence ends and word
counts of text written without spaces."""

from __future__ import annotations

import pytest

from assistant.locales import leading_verdict, locale_for


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("Darf ich mein VPN-Abo auch für meine kleine Firma nutzen?", True),
        ("Bekommt der Anbieter meinen Standort?", True),
        ("Wenn ich mein Konto zwei Jahre nicht benutze, wird es dann gelöscht?", True),
        ("Und gilt das auch für Firmenkunden?", True),
        ("Ich möchte wissen, ob meine Daten verkauft werden.", True),
        ("Können Sie mir sagen, ob die Frist verlängert werden kann?", True),
        ("Das ist erlaubt?", True),
        ("Wie viele Geräte kann ich gleichzeitig verbinden?", False),
        ("Bis wann muss ich kündigen?", False),
        ("Mit welchem Partner arbeitet der Dienst zusammen?", False),
        ("Warum wird mein Konto gesperrt?", False),
        ("Können Sie mir sagen, wie lange die Frist ist?", False),
        ("Wird monatlich oder jährlich abgerechnet?", False),
    ],
)
def test_german_yes_no_questions_are_read_by_german_grammar(sentence, yes_no):
    assert locale_for("de").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "language, sentence, yes_no",
    [
        ("fr", "Puis-je me faire rembourser si je résilie au milieu du mois ?", True),
        ("fr", "Ma fille a 15 ans. Peut-elle ouvrir un compte ?", True),
        ("fr", "Si je résilie maintenant, serai-je remboursé ?", True),
        ("fr", "Est-ce que mes fichiers sont transférés hors de l'Union européenne ?", True),
        ("fr", "Je peux résilier à tout moment ?", True),
        ("fr", "Je voudrais savoir si la résiliation est gratuite.", True),
        ("fr", "Pouvez-vous me dire si les factures sont conservées ?", True),
        ("fr", "Combien de temps ai-je pour me rétracter ?", False),
        ("fr", "Qu'est-ce qu'une donnée personnelle ?", False),
        ("fr", "À quelle adresse dois-je écrire ?", False),
        ("fr", "Quand suis-je remboursé si je résilie ?", False),
        ("fr", "Les données sont conservées combien de temps ?", False),
        ("fr", "Pouvez-vous me dire où sont hébergés mes fichiers ?", False),
        ("fr", "Le paiement est-il mensuel ou annuel ?", False),
        ("es", "¿Puedo cancelar mi suscripción en cualquier momento?", True),
        ("es", "Mi hija tiene 12 años. ¿Puede crear una cuenta?", True),
        ("es", "Si cancelo hoy, ¿me devuelven el dinero?", True),
        ("es", "Quiero saber si guardan mi dirección IP.", True),
        ("es", "¿Cuánto tiempo guardan mis datos?", False),
        ("es", "¿Qué datos recogen?", False),
        ("es", "¿Se paga cada mes o cada año?", False),
        ("it", "Posso annullare l'abbonamento quando voglio?", True),
        ("it", "Se annullo oggi, vengo rimborsato?", True),
        ("it", "Quanto tempo conservate i miei dati?", False),
        ("it", "Dove sono conservati i miei file?", False),
        ("pt", "Posso cancelar a assinatura a qualquer momento?", True),
        ("pt", "Quanto tempo vocês guardam os meus dados?", False),
        ("pt", "Qual é o valor máximo da indenização?", False),
        ("nl", "Mag mijn dochter van 12 een account aanmaken?", True),
        ("nl", "Als ik opzeg, krijg ik dan mijn geld terug?", True),
        ("nl", "Weet u of ik elk moment kan opzeggen?", True),
        ("nl", "Hoe lang bewaren jullie mijn gegevens?", False),
        ("nl", "Betaal ik per maand of per jaar?", False),
        ("ru", "Могу ли я отменить подписку в любое время?", True),
        ("ru", "Если я отменю подписку, вернут ли мне деньги?", True),
        ("ru", "Можно вернуть деньги за неиспользованные дни?", True),
        ("ru", "Как долго хранятся мои данные?", False),
        ("ru", "До какого числа можно отменить?", False),
        ("ru", "А почему данные хранятся так долго?", False),
        ("ru", "Платить помесячно или ежегодно?", False),
    ],
)
def test_yes_no_questions_are_read_by_each_languages_question_words(language, sentence, yes_no):
    assert locale_for(language).yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "language, sentence, negations",
    [
        ("fr", "Vous ne pouvez pas résilier.", 1),  # "ne ... pas" is one negation
        ("fr", "Aucun remboursement n'est accordé pour un mois entamé.", 1),
        ("fr", "Vous pouvez résilier à tout moment.", 0),
        ("fr", "C'est pas possible sans accord.", 2),
        ("es", "No guardamos nunca sus datos.", 1),
        ("es", "Puede cancelar sin coste.", 1),
        ("it", "Non conserviamo mai i dati.", 1),
        ("pt", "Não guardamos nenhum dado.", 1),
        ("nl", "Wij bewaren geen gegevens.", 1),
        ("ja", "解約した場合、当月分の料金は返金されません。", 1),
        ("ja", "月額プランはいつでも解約できます。", 0),
        ("ja", "保護者の同意がない場合は利用できない。", 2),
        ("ko", "해지한 경우 당월 요금은 환불되지 않습니다.", 1),
        ("ko", "월간 요금제는 언제든지 해지할 수 있습니다.", 0),
        ("ru", "Мы не продаём данные и никогда не передаём их без согласия.", 4),
        ("ru", "Подписку можно отменить в любое время.", 0),
    ],
)
def test_a_negation_is_counted_once_however_many_words_it_takes(language, sentence, negations):
    assert len(locale_for(language).negation.findall(sentence)) == negations


def test_each_language_answers_with_its_own_words():
    assert locale_for("fr").verdict_text("no") == "Non." and locale_for("es").verdict_text("yes") == "Sí."
    assert locale_for("fr").refusal == "Les documents ne le disent pas."
    refusals = {locale_for(c).refusal for c in ("en", "de", "zh", "ja", "ko", "ru", "fr", "es", "it", "pt", "nl")}
    assert len(refusals) == 11


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("我在用这个浏览器，它默认会把使用数据发给服务器吗？", True),
        ("如果发现数据泄露，会通知我吗？", True),
        ("我自己改了代码，能不能继续用原来的名字发布？", True),
        ("退款是否适用于续订？", True),
        ("有没有年龄限制？", True),
        ("每人每天最多能录多少条语音？", False),
        ("订阅价格是多少？", False),
        ("什么时候生效？", False),
        ("按月付款还是按年付款？", False),
    ],
)
def test_chinese_yes_no_questions_are_read_by_chinese_grammar(sentence, yes_no):
    assert locale_for("zh").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("15歳の子供はアカウントを作れますか？", True),
        ("月額プランを途中で解約したら、残りの日数分は返金されますか。", True),
        ("アカウントを作ってもいいですか", True),
        ("データは第三者に提供されるのでしょうか？", True),
        ("個人情報はいつ消されますか？", False),
        ("配送料はいくらですか？", False),
        ("どのくらい保存されますか？", False),
        ("月額と年額、どちらが安いですか？", False),
        ("メールで連絡しますか、それとも電話ですか？", False),
    ],
)
def test_japanese_yes_no_questions_are_read_by_japanese_grammar(sentence, yes_no):
    assert locale_for("ja").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("15살 아이도 계정을 만들 수 있나요?", True),
        ("월 중간에 해지하면 남은 기간은 환불됩니까?", True),
        ("개인정보는 언제 삭제되나요?", False),
        ("요금은 얼마예요?", False),
        ("월간 요금제와 연간 요금제 중 어느 것이 더 싼가요?", False),
        ("이메일로 연락하나요, 아니면 전화로 하나요?", False),
    ],
)
def test_korean_yes_no_questions_are_read_by_korean_grammar(sentence, yes_no):
    assert locale_for("ko").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "text, verdict, rest",
    [
        ("Yes, you can.", "yes", "you can."),
        ("Nein. Das ist nicht erlaubt.", "no", "Das ist nicht erlaubt."),
        ("是。您可以申请退款。", "yes", "您可以申请退款。"),
        ("否。", "no", ""),
        ("Nobody may do that.", None, "Nobody may do that."),
        ("否则将收取费用。", None, "否则将收取费用。"),
        ("Non. Aucun remboursement n'est accordé.", "no", "Aucun remboursement n'est accordé."),
        ("Non-members pay a fee.", None, "Non-members pay a fee."),
        ("Sí, puede cancelar.", "yes", "puede cancelar."),
        ("いいえ。返金されません。", "no", "返金されません。"),
        ("아니요. 환불되지 않습니다.", "no", "환불되지 않습니다."),
    ],
)
def test_a_leading_verdict_is_read_in_any_answer_language(text, verdict, rest):
    assert leading_verdict(text) == (verdict, rest)


def test_a_leading_verdict_of_a_known_language_is_read_in_its_words_and_englishs():
    assert leading_verdict("SIM cards are sold separately.", "en") == (None, "SIM cards are sold separately.")
    assert leading_verdict("Sim. Pode cancelar.", "pt") == ("yes", "Pode cancelar.")
    assert leading_verdict("Yes. Pode cancelar.", "pt") == ("yes", "Pode cancelar.")
    assert leading_verdict("Sim. You can.", "en")[0] is None


def test_a_language_without_wording_is_still_named_for_the_prompt():
    polish = locale_for("pl")
    assert polish.name == "Polish" and polish.yes_no is None and polish.refusal == locale_for("en").refusal
    assert locale_for(None).code == "en"


@pytest.mark.parametrize(
    "language, sentence",
    [
        ("de", "Es gibt keine Informationen über die maximale Anzahl von Geräten."),
        ("de", "Die Passagen beschreiben Firefox Sync, aber nicht die Anzahl der Geräte."),
        ("de", "Die Kündigungsfrist wird in den Passagen nicht erwähnt."),
        ("de", "Es ist daher nicht möglich, die Antwort auf diese Frage zu geben."),
        ("de", "Es gibt also keine Passagen, die darauf hinweisen, dass die Daten geteilt werden."),
        ("zh", "文中没有提到设备数量的上限。"),
        ("zh", "段落并未说明审核需要多长时间。"),
        ("zh", "因此无法确定具体天数。"),
        ("ja", "文書には保存期間の記載がありません。"),
        ("ja", "返金額については言及されていません。"),
        ("ja", "したがって、判断することができません。"),
        ("ko", "문서에는 보관 기간이 명시되어 있지 않습니다."),
        ("ko", "따라서 알 수 없습니다."),
        ("ru", "В документах не упоминается срок хранения."),
        ("ru", "Нет информации о стоимости."),
        ("fr", "Les passages ne précisent pas le délai de remboursement."),
        ("fr", "Le montant n'est pas mentionné dans les documents."),
        ("fr", "Il n'y a aucune information sur les frais."),
        ("es", "Los documentos no mencionan el plazo de reembolso."),
        ("es", "No hay información sobre las tarifas."),
        ("it", "I documenti non specificano il termine di rimborso."),
        ("it", "Non è possibile determinare la durata."),
        ("pt", "Os textos não mencionam o prazo de reembolso."),
        ("pt", "Não há informação sobre as taxas."),
        ("nl", "De passages vermelden niet hoe lang de controle duurt."),
        ("nl", "Er is geen informatie over de kosten."),
    ],
)
def test_talk_about_the_passages_is_recognised_in_each_language(language, sentence):
    assert locale_for(language).absence.search(sentence)


@pytest.mark.parametrize(
    "language, sentence",
    [
        ("de", "Ihre Dokumente werden nicht an Mozilla gesendet."),
        ("de", "Mozilla speichert keine Informationen über Ihre Suchanfragen."),
        ("de", "Konten, die zwei Jahre nicht genutzt wurden, werden gelöscht."),
        ("zh", "我们不会出售您的个人信息。"),
        ("zh", "您的信息并未提供给第三方广告商。"),
        ("zh", "如果我们无法确认您的身份，我们将拒绝该请求。"),
        ("ja", "当社はお客様の個人情報を販売しません。"),
        ("ja", "16歳未満の方はアカウントを作成できません。"),
        ("ko", "당사는 고객의 개인정보를 판매하지 않습니다."),
        ("ko", "16세 미만은 계정을 만들 수 없습니다."),
        ("ru", "Мы не продаём ваши персональные данные."),
        ("ru", "Данные не хранятся дольше 25 месяцев."),
        ("ru", "Информация о платеже не содержит номера карты."),
        ("ru", "У нас нет данных о вашем местоположении."),
        ("fr", "Mozilla ne vend pas vos informations personnelles."),
        ("es", "Los datos no se conservan más de 30 días."),
        ("it", "I dati non vengono conservati oltre 30 giorni."),
        ("pt", "Os dados não são vendidos a terceiros."),
        ("nl", "Uw gegevens worden niet verkocht."),
    ],
)
def test_a_document_stating_what_is_not_done_is_a_claim_not_talk_about_the_passages(language, sentence):
    assert not locale_for(language).absence.search(sentence)


@pytest.mark.parametrize(
    "language, clause, kind",
    [
        ("de", "Wie lange werden meine Daten gespeichert?", "duration"),
        ("de", "Wie viele Tage habe ich Zeit?", "duration"),
        ("de", "Wie viel kostet das Abo im Monat?", "amount"),
        ("de", "Wie viele Geräte kann ich verbinden?", "number"),
        ("de", "Welche Daten werden gespeichert?", "fact"),
        ("zh", "我的数据会被保存多久？", "duration"),
        ("zh", "订阅价格是多少？", "amount"),
        ("zh", "最多能连接多少台设备？", "number"),
        ("zh", "这几乎是免费的吗？", "fact"),
        ("ja", "個人情報はどのくらいの期間保存されますか？", "duration"),
        ("ja", "返金まで何日かかりますか？", "duration"),
        ("ja", "年額プランの料金はいくらですか？", "amount"),
        ("ja", "何台まで接続できますか？", "number"),
        ("ja", "どのような情報が収集されますか？", "fact"),
        ("ko", "개인정보는 얼마 동안 보관되나요?", "duration"),
        ("ko", "연간 요금제 가격은 얼마예요?", "amount"),
        ("ko", "기기를 몇 대까지 연결할 수 있나요?", "number"),
        ("ko", "어떤 정보가 수집되나요?", "fact"),
        ("ru", "Как долго хранятся мои данные?", "duration"),
        ("ru", "Сколько стоит годовая подписка?", "amount"),
        ("ru", "Сколько устройств можно подключить?", "number"),
        ("ru", "Какие данные собираются?", "fact"),
        ("fr", "Combien de temps mes données sont-elles conservées ?", "duration"),
        ("fr", "Combien coûte l'abonnement ?", "amount"),
        ("fr", "Combien d'appareils puis-je connecter ?", "number"),
        ("es", "¿Cuánto tiempo guardan mis datos?", "duration"),
        ("es", "En cuanto a mis datos, ¿quién los ve?", "fact"),
        ("it", "Quanto costa l'abbonamento?", "amount"),
        ("it", "In quanto utente, chi vede i miei dati?", "fact"),
        ("pt", "Quantos dispositivos posso ligar?", "number"),
        ("nl", "Hoe lang worden mijn gegevens bewaard?", "duration"),
    ],
)
def test_the_kind_of_value_asked_for_is_read_by_each_languages_question_words(language, clause, kind):
    assert locale_for(language).kind_of(clause) == kind
