"""The Summit's richest worked example written in other languages (see ``Example.translations``).

Each is the same invented story as the English example (``_passes.EXAMPLE``), written as a news agency
of that language would write it: evidence, names and the date as the article writes them, subjects,
titles and countries in English as the instructions ask. An article in one of these languages is shown
its own; any other language is shown the English one.
"""

from __future__ import annotations

from typing import NamedTuple

from ..toolkit import Example

__all__ = ["TRANSLATIONS"]


class _Words(NamedTuple):
    """The words of the example's answer in one language, in the order of the English answer."""

    language: str
    text: str
    hosts: tuple[str, str]  # the host's evidence and name
    guest: tuple[str, str]  # the guest's evidence and name
    place: tuple[str, str]  # the location's evidence and city
    day: str
    agreements: tuple[str, str, str]  # gas deal signed, naval exercises agreed, ammunition plant offered
    disputes: tuple[str, str]  # fishing quotas, visa rules
    quote: str


def _example(w: _Words) -> Example:
    host, guest = w.hosts, w.guest
    agreed = zip(
        w.agreements,
        ("gas supply deal", "joint naval exercises", "shared ammunition plant"),
        ("signed", "agreed", "offered"),
        strict=True,
    )
    disputed = zip(w.disputes, ("fishing quotas in the Barents Sea", "Norway's new visa rules"), strict=True)
    answer = {
        "participants": [
            {"evidence": host[0], "name": host[1], "title": "Prime Minister", "country": "Norway"},
            {"evidence": guest[0], "name": guest[1], "title": "President", "country": "Poland"},
        ],
        "location": {"evidence": w.place[0], "city": w.place[1], "venue": None, "country": None},
        "date": {"text": w.day},
        "name": None,
        "host_country": "Norway",
        "is_summit": True,
        "agreements": [{"evidence": e, "subject": s, "status": st} for e, s, st in agreed],
        "disputes": [{"evidence": e, "subject": s, "status": "ongoing"} for e, s in disputed],
        "statements": [{"speaker": guest[1], "quote": w.quote}],
    }
    return Example(text=w.text, answer=answer, language=w.language)


_WORDS = (
    _Words(
        "fr",
        "OSLO, 12 juin (Reuters) - Le Premier ministre norvégien Ola Berg a reçu la présidente polonaise "
        "Anna Nowak à Oslo vendredi pour des entretiens sur l'énergie et la défense. Les deux dirigeants ont "
        "signé un accord d'approvisionnement en gaz et sont convenus d'organiser des exercices navals "
        "conjoints l'an prochain. Berg a déclaré que la Norvège étudierait l'offre de la Pologne de "
        "construire une usine de munitions commune. « Nos mers sont plus sûres quand nous sommes unis », a "
        "déclaré Nowak.\n\nLes entretiens ont été assombris par une querelle sur les quotas de pêche en mer "
        "de Barents, que Varsovie juge fixés injustement par la Norvège. Les relations sont aussi tendues "
        "par l'objection de la Pologne aux nouvelles règles de visa de la Norvège.",
        ("Le Premier ministre norvégien Ola Berg", "Ola Berg"),
        ("la présidente polonaise Anna Nowak", "Anna Nowak"),
        ("à Oslo", "Oslo"),
        "vendredi",
        (
            "ont signé un accord d'approvisionnement en gaz",
            "sont convenus d'organiser des exercices navals conjoints",
            "l'offre de la Pologne de construire une usine de munitions commune",
        ),
        (
            "une querelle sur les quotas de pêche en mer de Barents",
            "l'objection de la Pologne aux nouvelles règles de visa de la Norvège",
        ),
        "Nos mers sont plus sûres quand nous sommes unis",
    ),
    _Words(
        "es",
        "OSLO, 12 de junio (Reuters) - El primer ministro noruego, Ola Berg, recibió el viernes en Oslo a la "
        "presidenta polaca, Anna Nowak, para conversaciones sobre energía y defensa. Los dos líderes "
        "firmaron "
        "un acuerdo de suministro de gas y acordaron realizar ejercicios navales conjuntos el próximo año. "
        "Berg dijo que Noruega estudiará la oferta de Polonia de construir una fábrica de municiones "
        'compartida. "Nuestros mares son más seguros cuando estamos unidos", dijo Nowak.\n\nLas '
        "conversaciones se vieron empañadas por una disputa sobre las cuotas de pesca en el mar de Barents, "
        "que Varsovia considera que Noruega fijó de forma injusta. Las relaciones también se han tensado por "
        "la objeción de Polonia a las nuevas normas de visados de Noruega.",
        ("El primer ministro noruego, Ola Berg", "Ola Berg"),
        ("la presidenta polaca, Anna Nowak", "Anna Nowak"),
        ("en Oslo", "Oslo"),
        "el viernes",
        (
            "firmaron un acuerdo de suministro de gas",
            "acordaron realizar ejercicios navales conjuntos",
            "la oferta de Polonia de construir una fábrica de municiones compartida",
        ),
        (
            "una disputa sobre las cuotas de pesca en el mar de Barents",
            "la objeción de Polonia a las nuevas normas de visados de Noruega",
        ),
        "Nuestros mares son más seguros cuando estamos unidos",
    ),
    _Words(
        "pt",
        "OSLO, 12 de junho (Reuters) - O primeiro-ministro norueguês, Ola Berg, recebeu na sexta-feira em "
        "Oslo a presidente polonesa, Anna Nowak, para conversações sobre energia e defesa. Os dois líderes "
        "assinaram um acordo de fornecimento de gás e concordaram em realizar exercícios navais conjuntos no "
        "próximo ano. Berg disse que a Noruega vai considerar a oferta da Polônia de construir uma "
        "fábrica de "
        'munições conjunta. "Nossos mares são mais seguros quando estamos juntos", disse Nowak.\n\nAs '
        "conversações foram ofuscadas por uma disputa sobre as cotas de pesca no mar de Barents, que "
        "Varsóvia diz que a Noruega fixou de forma injusta. As relações também foram abaladas pela objeção "
        "da Polônia às novas regras de vistos da Noruega.",
        ("O primeiro-ministro norueguês, Ola Berg", "Ola Berg"),
        ("a presidente polonesa, Anna Nowak", "Anna Nowak"),
        ("em Oslo", "Oslo"),
        "sexta-feira",
        (
            "assinaram um acordo de fornecimento de gás",
            "concordaram em realizar exercícios navais conjuntos",
            "a oferta da Polônia de construir uma fábrica de munições conjunta",
        ),
        (
            "uma disputa sobre as cotas de pesca no mar de Barents",
            "objeção da Polônia às novas regras de vistos da Noruega",
        ),
        "Nossos mares são mais seguros quando estamos juntos",
    ),
    _Words(
        "de",
        "OSLO, 12. Juni (Reuters) - Der norwegische Ministerpräsident Ola Berg hat die polnische Präsidentin "
        "Anna Nowak am Freitag in Oslo zu Gesprächen über Energie und Verteidigung empfangen. Die beiden "
        "Politiker unterzeichneten ein Gasliefer-Abkommen und vereinbarten gemeinsame Marinemanöver im "
        "nächsten Jahr. Berg sagte, Norwegen werde Polens Angebot prüfen, eine gemeinsame Munitionsfabrik zu "
        'bauen. "Unsere Meere sind sicherer, wenn wir zusammenstehen", sagte Nowak.\n\nÜberschattet wurden '
        "die Gespräche von einem Streit über Fangquoten in der Barentssee, die Norwegen nach Ansicht "
        "Warschaus unfair festgelegt hat. Belastet werden die Beziehungen auch durch Polens Einwände gegen "
        "Norwegens neue Visaregeln.",
        ("Der norwegische Ministerpräsident Ola Berg", "Ola Berg"),
        ("die polnische Präsidentin Anna Nowak", "Anna Nowak"),
        ("in Oslo", "Oslo"),
        "am Freitag",
        (
            "unterzeichneten ein Gasliefer-Abkommen",
            "vereinbarten gemeinsame Marinemanöver",
            "Polens Angebot prüfen, eine gemeinsame Munitionsfabrik zu bauen",
        ),
        ("einem Streit über Fangquoten in der Barentssee", "Polens Einwände gegen Norwegens neue Visaregeln"),
        "Unsere Meere sind sicherer, wenn wir zusammenstehen",
    ),
    _Words(
        "it",
        "OSLO, 12 giugno (Reuters) - Il primo ministro norvegese Ola Berg ha ricevuto venerdì a Oslo la "
        "presidente polacca Anna Nowak per colloqui su energia e difesa. I due leader hanno firmato un "
        "accordo per la fornitura di gas e hanno concordato di tenere esercitazioni navali congiunte il "
        "prossimo anno. Berg ha detto che la Norvegia valuterà l'offerta della Polonia di costruire una "
        'fabbrica di munizioni comune. "I nostri mari sono più sicuri quando restiamo uniti", ha detto '
        "Nowak.\n\nI colloqui sono stati offuscati da una disputa sulle quote di pesca nel mare di Barents, "
        "che secondo Varsavia la Norvegia ha fissato in modo ingiusto. Le relazioni sono tese anche per "
        "l'obiezione della Polonia alle nuove regole sui visti della Norvegia.",
        ("Il primo ministro norvegese Ola Berg", "Ola Berg"),
        ("la presidente polacca Anna Nowak", "Anna Nowak"),
        ("a Oslo", "Oslo"),
        "venerdì",
        (
            "hanno firmato un accordo per la fornitura di gas",
            "hanno concordato di tenere esercitazioni navali congiunte",
            "l'offerta della Polonia di costruire una fabbrica di munizioni comune",
        ),
        (
            "una disputa sulle quote di pesca nel mare di Barents",
            "l'obiezione della Polonia alle nuove regole sui visti della Norvegia",
        ),
        "I nostri mari sono più sicuri quando restiamo uniti",
    ),
    _Words(
        "ru",
        "ОСЛО, 12 июня (Рейтер) - Премьер-министр Норвегии Ула Берг и президент Польши Анна Новак провели в "
        "пятницу в Осло переговоры об энергетике и обороне. Два лидера подписали соглашение о поставках газа "
        "и договорились провести совместные военно-морские учения в следующем году. Берг заявил, что "
        "Норвегия рассмотрит предложение Польши построить общий завод по производству боеприпасов. «Наши "
        "моря безопаснее, когда мы вместе», — сказала Новак.\n\nПереговоры были омрачены спором о квотах на "
        "вылов рыбы в Баренцевом море, которые, по мнению Варшавы, Норвегия установила несправедливо. "
        "Отношения также осложнены возражениями Польши против новых визовых правил Норвегии.",
        ("Премьер-министр Норвегии Ула Берг", "Ула Берг"),
        ("президент Польши Анна Новак", "Анна Новак"),
        ("в Осло", "Осло"),
        "в пятницу",
        (
            "подписали соглашение о поставках газа",
            "договорились провести совместные военно-морские учения",
            "предложение Польши построить общий завод по производству боеприпасов",
        ),
        (
            "спором о квотах на вылов рыбы в Баренцевом море",
            "возражениями Польши против новых визовых правил Норвегии",
        ),
        "Наши моря безопаснее, когда мы вместе",
    ),
    _Words(
        "uk",
        "ОСЛО, 12 червня (Рейтер) - Прем'єр-міністр Норвегії Ула Берг і президентка Польщі Анна Новак "
        "провели "
        "в п'ятницю в Осло переговори щодо енергетики та оборони. Обидва лідери підписали угоду про "
        "постачання газу та домовилися провести спільні військово-морські навчання наступного року. Берг "
        "заявив, що Норвегія розгляне пропозицію Польщі побудувати спільний завод із виробництва "
        "боєприпасів. «Наші моря безпечніші, коли ми разом», — сказала Новак.\n\nПереговори затьмарила "
        "суперечка щодо квот на вилов риби в Баренцовому морі, які, на думку Варшави, Норвегія встановила "
        "несправедливо. Відносини також ускладнює заперечення Польщі проти нових візових правил Норвегії.",
        ("Прем'єр-міністр Норвегії Ула Берг", "Ула Берг"),
        ("президентка Польщі Анна Новак", "Анна Новак"),
        ("в Осло", "Осло"),
        "в п'ятницю",
        (
            "підписали угоду про постачання газу",
            "домовилися провести спільні військово-морські навчання",
            "пропозицію Польщі побудувати спільний завод із виробництва боєприпасів",
        ),
        (
            "суперечка щодо квот на вилов риби в Баренцовому морі",
            "заперечення Польщі проти нових візових правил Норвегії",
        ),
        "Наші моря безпечніші, коли ми разом",
    ),
    _Words(
        "ko",
        "오슬로, 6월 12일 (로이터) - 올라 베르그 노르웨이 총리는 금요일 오슬로에서 안나 노박 폴란드 대통령을 "
        "맞아 에너지와 국방에 관한 회담을 가졌다. 두 정상은 가스 공급 협정에 서명하고 내년에 합동 해상 "
        "훈련을 "
        "실시하기로 합의했다. 베르그 총리는 공동 탄약 공장을 건설하자는 폴란드의 제안을 검토하겠다고 말했다. "
        '노박 대통령은 "우리가 함께할 때 우리의 바다는 더 안전하다"고 말했다.\n\n회담은 바렌츠해 어획 '
        "할당량을 둘러싼 갈등으로 빛이 바랬다. 바르샤바는 노르웨이가 할당량을 불공정하게 정했다고 주장한다. "
        "노르웨이의 새 비자 규정에 대한 폴란드의 반대로 양국 관계도 긴장되어 있다.",
        ("올라 베르그 노르웨이 총리", "올라 베르그"),
        ("안나 노박 폴란드 대통령", "안나 노박"),
        ("오슬로에서", "오슬로"),
        "금요일",
        (
            "가스 공급 협정에 서명하고",
            "합동 해상 훈련을 실시하기로 합의했다",
            "공동 탄약 공장을 건설하자는 폴란드의 제안",
        ),
        ("바렌츠해 어획 할당량을 둘러싼 갈등", "노르웨이의 새 비자 규정에 대한 폴란드의 반대"),
        "우리가 함께할 때 우리의 바다는 더 안전하다",
    ),
    _Words(
        "ja",
        "オスロ、6月12日（ロイター）- ノルウェーのオーラ・ベルグ首相は金曜日、オスロでポーランドのアンナ・"
        "ノヴァク"
        "大統領を迎え、エネルギーと防衛について会談した。両首脳はガス供給協定に署名し、来年合同海軍演習を"
        "行うこと"
        "で合意した。ベルグ首相は、共同の弾薬工場を建設するというポーランドの提案を検討すると述べた。ノヴ"
        "ァク大統領"
        "は「私たちが共に立つとき、私たちの海はより安全になる」と語った。\n\n会談は、バレンツ海の漁獲枠を"
        "めぐる"
        "対立に影を落とされた。ワルシャワはノルウェーが漁獲枠を不当に設定したと主張している。ノルウェーの"
        "新しい"
        "ビザ規則に対するポーランドの反対で、両国関係も緊張している。",
        ("ノルウェーのオーラ・ベルグ首相", "オーラ・ベルグ"),
        ("ポーランドのアンナ・ノヴァク大統領", "アンナ・ノヴァク"),
        ("オスロで", "オスロ"),
        "金曜日",
        (
            "ガス供給協定に署名し",
            "来年合同海軍演習を行うことで合意した",
            "共同の弾薬工場を建設するというポーランドの提案",
        ),
        ("バレンツ海の漁獲枠をめぐる対立", "ノルウェーの新しいビザ規則に対するポーランドの反対"),
        "私たちが共に立つとき、私たちの海はより安全になる",
    ),
    _Words(
        "zh",
        "奥斯陆，6月12日（路透社）- 挪威首相奥拉·贝格星期五在奥斯陆接待了波兰总统安娜·诺瓦克，双方就能源和"
        "国防"
        "问题举行会谈。两国领导人签署了一项天然气供应协议，并同意明年举行联合海军演习。贝格表示，挪威将考"
        "虑波兰"
        "提出的共建弹药厂的提议。诺瓦克说：“我们团结在一起时，我们的海洋更加安全。”\n\n会谈因巴伦支海捕鱼配额"
        "争端而蒙上阴影，华沙认为挪威设定的配额不公平。波兰反对挪威的新签证规定，两国关系也因此紧张。",
        ("挪威首相奥拉·贝格", "奥拉·贝格"),
        ("波兰总统安娜·诺瓦克", "安娜·诺瓦克"),
        ("在奥斯陆", "奥斯陆"),
        "星期五",
        ("签署了一项天然气供应协议", "同意明年举行联合海军演习", "波兰提出的共建弹药厂的提议"),
        ("巴伦支海捕鱼配额争端", "波兰反对挪威的新签证规定"),
        "我们团结在一起时，我们的海洋更加安全",
    ),
)

#: The richest example in every language above.
TRANSLATIONS = tuple(_example(w) for w in _WORDS)
