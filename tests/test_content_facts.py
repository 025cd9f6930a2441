"""Facts that blog posts about cancelling Japanese SIMs get wrong, asserted on the shipped content in every locale.

These tests read only the content bundled in this repository (`content/data`), never the research notes
outside it, so they run on a clean clone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from content import LOCALES, Content, load_content
from content.loader import DATA_DIR
from content.schema import PLACEHOLDER_RE, WEAK_SOURCE_KINDS, Procedure, Provider, Step, Text

ESIM_STEP_IDS = {"esim_after", "esim_after_shop"}
# The step on which the user actually sends the cancellation (online confirm, shop counter, posted form, ...).
SUBMIT_STEP_IDS = {"confirm_online", "at_the_counter", "send_form", "fill_form", "term_form", "last_day"}
STAY_VALUES = ("staying", "leaving", "abroad")
AU_MNP_LINE = "0077-75470"


@cache
def _content() -> Content:
    return load_content()


def _providers() -> list[Provider]:
    return list(_content().providers.values())


def _procedures() -> list[tuple[Provider, Procedure]]:
    return [(provider, proc) for provider in _providers() for proc in provider.procedures]


def _id(pair: tuple[Provider, Procedure]) -> str:
    return f"{pair[0].id}/{pair[1].id}"


def _cancel_paths(proc: Procedure, sim: str) -> Iterator[dict[str, str]]:
    """Every answer combination a user who wants to cancel can give for this procedure."""
    questions = proc.questions
    stays = STAY_VALUES if "stay" in questions else (None,)
    for stay in stays:
        answers = {"sim": sim}
        if "goal" in questions:
            answers["goal"] = "cancel"
        if stay is not None:
            answers["stay"] = stay
        yield answers


def _texts(provider: Provider) -> Iterator[tuple[str, Text, Step | None]]:
    """Every user-facing text of a provider, with the step it belongs to (if any)."""
    yield "name", provider.name, None
    if provider.note is not None:
        yield "note", provider.note, None
    for link_id, link in provider.links.items():
        yield f"links.{link_id}", link.label, None
    for phone_id, phone in provider.phones.items():
        yield f"phones.{phone_id}", phone.label, None
    for proc in provider.procedures:
        yield f"{proc.id}.title", proc.title, None
        yield f"{proc.id}.summary", proc.summary, None
        for step in proc.steps:
            yield f"{proc.id}.{step.id}", step.text, step


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:!?])\s+|[。；！？]", text) if s.strip()]


# A sentence about deleting the eSIM that says, with a negation, that this does not cancel the contract.
NOT_CANCELLED: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "en": (re.compile(r"delet", re.IGNORECASE), re.compile(r"\bdoes not cancel\b", re.IGNORECASE)),
    "zh-Hans": (re.compile(r"删除"), re.compile(r"不会?(?:注销|解约)")),
    "ja": (re.compile(r"削除"), re.compile(r"解約(?:され|に|は).*?(?:ません|ない|なく|ならず)")),
    "zh-Hant": (re.compile(r"刪除"), re.compile(r"不(?:會|等於)(?:解約|解除)")),
    "vi": (
        re.compile(r"xóa", re.IGNORECASE),
        re.compile(r"không (?:bị hủy|hủy|phải là hủy|làm hợp đồng bị hủy)|hợp đồng không bị hủy"),
    ),
    "ko": (re.compile(r"삭제"), re.compile(r"해지되지(?:는)? 않")),
}


def _says_deleting_does_not_cancel(text: str, locale: str) -> bool:
    deleting, not_cancelled = NOT_CANCELLED[locale]
    return any(deleting.search(s) and not_cancelled.search(s) for s in _sentences(text))


ESIM_PROCEDURES = [pair for pair in _procedures() if "esim" in pair[1].sim_types]


@pytest.mark.parametrize("pair", ESIM_PROCEDURES, ids=_id)
def test_esim_cancel_path_says_deleting_the_profile_does_not_cancel(pair: tuple[Provider, Procedure]) -> None:
    provider, proc = pair
    submitted_somewhere = False
    for answers in _cancel_paths(proc, "esim"):
        steps = proc.steps_for(answers)
        ids = [s.id for s in steps]
        esim_steps = [i for i, s in enumerate(steps) if s.id in ESIM_STEP_IDS]
        assert esim_steps, f"{provider.id}/{proc.id} {answers}: no esim_after step on the cancel path: {ids}"
        esim_index = esim_steps[-1]
        for locale in LOCALES:
            text = steps[esim_index].text[locale]
            assert _says_deleting_does_not_cancel(text, locale), (
                f"{provider.id}/{proc.id}.{steps[esim_index].id} ({locale}) does not say deleting the eSIM "
                f"does not cancel: {text}"
            )
        submit = [i for i, s in enumerate(steps) if s.id in SUBMIT_STEP_IDS]
        if submit:
            submitted_somewhere = True
            assert esim_index > max(submit), f"{provider.id}/{proc.id} {answers}: eSIM deleted before submitting: {ids}"
    if proc.channel != "none":
        assert submitted_somewhere, f"{provider.id}/{proc.id}: no step submits the cancellation on any cancel path"


NOTHING_TO_CANCEL: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"nothing to cancel", re.IGNORECASE),
    "zh-Hans": re.compile(r"没有需要注销|不用注销|不需要注销"),
    "ja": re.compile(r"解約するものはありません|解約(?:は)?不要"),
    "zh-Hant": re.compile(r"沒有需要解約|不用解約|不需要解約"),
    "vi": re.compile(r"Không có gì phải hủy"),
    "ko": re.compile(r"해지할 것이 없"),
}
PREPAID_ONLY = [p for p in _providers() if all(chans == ["none"] for chans in p.channels.values())]


def test_prepaid_only_providers_exist() -> None:
    assert {p.id for p in PREPAID_ONLY} >= {"bmobile_visitor", "ntt_com_prepaid", "prepaid_data_sim"}


@pytest.mark.parametrize("provider", PREPAID_ONLY, ids=lambda p: p.id)
def test_prepaid_cards_open_with_nothing_to_cancel(provider: Provider) -> None:
    for proc in provider.procedures:
        assert proc.channel == "none"
        for sim in proc.sim_types:
            first = proc.steps_for({"sim": sim})[0]
            assert first.id == "nothing_to_cancel", f"{provider.id}/{proc.id} ({sim}) starts with {first.id}"
            assert first.when is None
            for locale in LOCALES:
                assert NOTHING_TO_CANCEL[locale].search(first.text[locale]), (locale, first.text[locale])


def test_au_mnp_line_is_never_presented_as_a_cancellation_line() -> None:
    au = _content().providers["au"]
    assert "phone" not in {c for chans in au.channels.values() for c in chans}
    mnp_phones = {pid for pid, phone in au.phones.items() if phone.number == AU_MNP_LINE}
    assert mnp_phones, "au's MNP line is expected to be declared (and labelled as the MNP line)"
    for provider in _providers():
        line_ids = {pid for pid, phone in provider.phones.items() if phone.number == AU_MNP_LINE}
        for pid in line_ids:
            for locale in LOCALES:
                assert "MNP" in provider.phones[pid].label[locale], (provider.id, pid, locale)
        for path, text, step in _texts(provider):
            for locale in LOCALES:
                value = text[locale]
                assert AU_MNP_LINE not in value, f"{provider.id}.{path}: raw MNP number in text"
                used = {arg for kind, arg in text.placeholders(locale) if kind == "phone"} & line_ids
                if not used:
                    continue
                assert "MNP" in value, f"{provider.id}.{path} ({locale}) shows the MNP line without saying MNP"
                if step is not None:
                    assert step.when is not None
                    assert step.when.goal == ["keep_number"], f"{provider.id}.{path}: MNP line on a cancel path"


# The two advertising handles seen in the blog posts, assembled here so that the tree itself never holds them.
BANNED = ("t.me/", "telegram", "esim" + "1088", "jx" + "0703")
# A social-media style handle; e-mail domains such as @docomo.ne.jp are allowed.
HANDLE_RE = re.compile(r"(?<![\w.])@[A-Za-z][A-Za-z0-9_]{3,}(?![\w.@])")
CONTENT_FILES = sorted(DATA_DIR.rglob("*.yaml"))


def test_content_files_are_found() -> None:
    names = {p.name for p in CONTENT_FILES}
    assert {"items.yaml", "docomo.yaml", "en.yaml"} <= names


@pytest.mark.parametrize("path", CONTENT_FILES, ids=lambda p: str(p.relative_to(DATA_DIR)))
def test_no_telegram_links_handles_or_blog_promotions(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    lowered = raw.lower()
    for banned in BANNED:
        assert banned not in lowered, f"{path.name} contains {banned!r}"
    assert not HANDLE_RE.findall(raw), f"{path.name} contains handles: {HANDLE_RE.findall(raw)}"


@pytest.mark.parametrize("provider", _providers(), ids=lambda p: p.id)
def test_every_phone_placeholder_refers_to_a_sourced_phone(provider: Provider) -> None:
    for pid, phone in provider.phones.items():
        assert phone.sources, (provider.id, pid)
        for ref in phone.sources:
            assert ref in provider.sources, (provider.id, pid, ref)
        if all(provider.sources[ref].kind in WEAK_SOURCE_KINDS for ref in phone.sources):
            assert phone.uncertain, f"{provider.id}.phones.{pid} rests on weak sources but is not uncertain"
    for path, text, _step in _texts(provider):
        for locale in LOCALES:
            for match in PLACEHOLDER_RE.finditer(text[locale]):
                if match.group(1) == "phone":
                    assert match.group(2) in provider.phones, f"{provider.id}.{path} ({locale}): {match.group(0)}"


OFFICIAL_MARK = re.compile(r"官方|official|公式|chính thức|공식", re.IGNORECASE)
THIRD_PARTY_MARK = re.compile(r"第三方|third-party|第三者|bên thứ ba|제3자", re.IGNORECASE)


@pytest.mark.parametrize("provider", _providers(), ids=lambda p: p.id)
def test_every_provider_has_an_official_link_and_checked_on(provider: Provider) -> None:
    assert isinstance(provider.checked_on, date)
    link_ids = {provider.official_link, *(proc.official_link for proc in provider.procedures)}
    for proc in provider.procedures:
        # The date the bot shows must not be older than the check of any source the procedure cites.
        refs = {*proc.sources, *(ref for step in proc.steps for ref in step.sources)}
        newest = max(provider.sources[ref].checked_on for ref in refs)
        assert proc.checked_on >= newest, (provider.id, proc.id, proc.checked_on, newest)
    for link_id in link_ids:
        link = provider.links[link_id]
        weak = any(s.url == link.url and s.kind in WEAK_SOURCE_KINDS for s in provider.sources.values())
        for locale in LOCALES:
            label = link.label[locale]
            if weak:
                assert THIRD_PARTY_MARK.search(label), f"{provider.id}.{link_id} ({locale}) hides a third-party page"
            else:
                assert OFFICIAL_MARK.search(label), f"{provider.id}.{link_id} ({locale}) is not labelled official"


KEEP_NUMBER_PROVIDERS = [p for p in _providers() if p.kind in ("major", "sub_brand", "mvno")]
DO_NOT_CANCEL: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:do not|don't) (?:cancel|terminate)\b", re.IGNORECASE),
    "zh-Hans": re.compile(r"不要(?:先)?(?:注销|解约)"),
    "ja": re.compile(r"解約しないで"),
    "zh-Hant": re.compile(r"不要(?:先)?解約"),
    "vi": re.compile(r"Đừng hủy"),
    "ko": re.compile(r"해지하지 마세요"),
}


@pytest.mark.parametrize("provider", KEEP_NUMBER_PROVIDERS, ids=lambda p: p.id)
def test_keeping_the_number_means_porting_not_cancelling_first(provider: Provider) -> None:
    for proc, sim in itertools.product(provider.procedures, provider.sim_types()):
        if sim not in proc.sim_types:
            continue
        assert "goal" in proc.questions, f"{provider.id}/{proc.id} never asks whether to keep the number"
        for stay in STAY_VALUES if "stay" in proc.questions else (None,):
            answers = {"sim": sim, "goal": "keep_number", **({"stay": stay} if stay else {})}
            steps = proc.steps_for(answers)
            dont = next((s for s in steps if s.id == "mnp_dont_cancel"), None)
            assert dont is not None, f"{provider.id}/{proc.id} {answers}: {[s.id for s in steps]}"
            assert not {s.id for s in steps} & SUBMIT_STEP_IDS, f"{provider.id}/{proc.id}: cancels on keep path"
            for locale in LOCALES:
                assert DO_NOT_CANCEL[locale].search(dont.text[locale]), (provider.id, locale, dont.text[locale])


# Channels blog posts get wrong: "UQ is phone-only", "au cancels on 0077-75470", "Y!mobile has no web route".
NO_PHONE_CANCELLATION = [
    *("docomo", "ahamo", "irumo", "au", "uq_mobile", "povo"),
    *("softbank", "ymobile", "linemo", "rakuten", "iijmio"),
]


@pytest.mark.parametrize("provider_id", NO_PHONE_CANCELLATION)
def test_no_unconfirmed_phone_cancellation_channel(provider_id: str) -> None:
    provider = _content().providers[provider_id]
    offered = {c for chans in provider.channels.values() for c in chans}
    assert "phone" not in offered
    assert "online" in offered or provider_id == "softbank"  # SoftBank's web route is unresolved


def test_ymobile_and_uq_can_be_cancelled_online_and_in_shops() -> None:
    for provider_id in ("ymobile", "uq_mobile"):
        provider = _content().providers[provider_id]
        for sim in provider.sim_types():
            assert {"online", "shop"} <= set(provider.channels_for(sim)), (provider_id, sim)


def test_rakuten_last_month_is_billed_by_data_used_per_official_faq() -> None:
    rakuten = _content().providers["rakuten"]
    proc = rakuten.procedure_for("physical", "online")
    assert proc is not None
    step = next(s for s in proc.steps if s.id == "last_month")
    assert not step.uncertain
    assert any(
        rakuten.sources[ref].kind == "official" and "network.mobile.rakuten.co.jp/faq/" in rakuten.sources[ref].url
        for ref in step.sources
    )
    assert re.search(r"data used", step.text["en"])
    assert "流量" in step.text["zh-Hans"]
    assert "データ量" in step.text["ja"]
    assert "流量" in step.text["zh-Hant"]
    assert "lượng data" in step.text["vi"]
    assert "데이터양" in step.text["ko"]
    assert not re.search(r"\bin full\b|full month", step.text["en"], re.IGNORECASE)


def test_linemo_fee_is_only_for_cancelling_in_the_joining_month() -> None:
    linemo = _content().providers["linemo"]
    step = next(s for p in linemo.procedures for s in p.steps if s.id == "fees")
    assert step.uncertain
    assert "same month" in step.text["en"]
    assert "¥990" in step.text["en"]
    assert "加入当月" in step.text["zh-Hans"]
    assert "加入した月" in step.text["ja"]
    assert "加入當月" in step.text["zh-Hant"]
    assert "trong tháng đăng ký" in step.text["vi"]
    assert "가입한 달" in step.text["ko"]
    years = {"en": r"\b(?:a|one|1) (?:whole )?year\b", "zh-Hans": r"一年|1 年", "ja": r"1年"}
    years.update({"zh-Hant": r"一年|1 年", "vi": r"\b(?:một|1) năm\b", "ko": r"1년|일 년"})
    for locale, year in years.items():
        assert not re.search(year, step.text[locale]), (locale, step.text[locale])


def test_items_carry_sources_and_reminders_only_where_useful() -> None:
    catalogue = _content().catalogue
    for item_id in ("carrier_email", "check_login_before_leaving", "keep_return_receipt"):
        assert item_id in catalogue.items, item_id
        for ref in catalogue.items[item_id].sources:
            assert ref in catalogue.sources
    reminders = {item_id for item_id, item in catalogue.items.items() if item.follow_up_days is not None}
    assert {"confirm_cancellation", "check_last_bill"} <= reminders  # only knowable after the cancellation
    # Things to do while the line still works: a reminder days later would come too late.
    before_cancelling = {"move_2fa_sms", "backup_data", "carrier_email", "check_login_before_leaving", "use_points"}
    assert not reminders & before_cancelling, reminders & before_cancelling
    uses = {use.id for _provider, proc in _procedures() for use in proc.items}
    assert set(catalogue.items) <= uses, f"items never attached: {set(catalogue.items) - uses}"
    rentals = [p for p in _providers() if p.kind == "pocket_wifi"]
    assert rentals
    for provider in rentals:
        for proc in provider.procedures:
            assert "keep_return_receipt" in proc.items_for({"sim": "physical"}), provider.id


# Vietnamese groups thousands with a dot (3.300 yên) and keeps the comma for decimals; en, zh and ja use a comma.
VI_COMMA_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def test_vietnamese_amounts_group_thousands_with_a_dot() -> None:
    texts = [(f"items.{item_id}", item.detail) for item_id, item in _content().catalogue.items.items()]
    texts += [(f"{provider.id}.{where}", text) for provider in _providers() for where, text, _ in _texts(provider)]
    dotted = [where for where, text in texts if re.search(r"\d\.\d{3} yên", text["vi"])]
    assert dotted, "no Vietnamese amount found: the pattern no longer matches the content"
    commas = [(where, m) for where, text in texts for m in VI_COMMA_THOUSANDS.findall(text["vi"])]
    assert not commas, commas


# --- Issue 14: facts fixed against the third pass of the research sheet, pinned in every locale. ---


def _step(provider_id: str, proc_id: str, step_id: str) -> Step:
    proc = _content().providers[provider_id].procedure(proc_id)
    assert proc is not None
    return next(s for s in proc.steps if s.id == step_id)


def _all(text: Text, patterns: dict[str, str]) -> None:
    for locale, pattern in patterns.items():
        assert re.search(pattern, text[locale]), (locale, pattern, text[locale])


def test_carrier_mail_softbank_ymobile_portable_uq_not() -> None:
    detail = _content().catalogue.items["carrier_email"].detail
    _all(detail, dict.fromkeys(LOCALES, "メールアドレス持ち運び"))
    _all(detail, {"en": r"¥3,300 a year", "zh-Hans": r"每年 3,300 日元", "ja": r"年額3,300円"})
    _all(detail, {"zh-Hant": r"每年 3,300 日圓", "vi": r"3\.300 yên/năm", "ko": r"연 3,300엔"})
    _all(
        detail,
        {
            "en": r"UQ mobile mail .*cannot be kept",
            "zh-Hans": r"UQ mobile 的邮箱.*不能保留",
            "ja": r"UQ mobileのメール.*持ち運べません",
            "zh-Hant": r"UQ mobile 的信箱.*無法保留",
            "vi": r"Email UQ mobile .*không giữ lại được",
            "ko": r"UQ mobile 메일.*유지할 수 없어요",
        },
    )
    for locale in LOCALES:
        assert "SoftBank" not in detail[locale].split("UQ")[0] or "found nothing" not in detail[locale]


def test_prepaid_travel_esim_is_not_told_it_has_a_contract() -> None:
    proc = _content().providers["prepaid_data_sim"].procedure("expires")
    assert proc is not None
    items = proc.items_for({"sim": "esim"})
    assert "delete_esim_profile" not in items
    assert "delete_travel_esim" in items
    detail = _content().catalogue.items["delete_travel_esim"].detail
    _all(detail, {"en": "no contract", "zh-Hans": "没有合约", "ja": "契約がなく"})
    _all(detail, {"zh-Hant": "沒有合約", "vi": "không có hợp đồng", "ko": "해지할 계약이 없"})
    continues = {"en": "charges continue", "zh-Hans": "扣费都会继续", "ja": "料金は続き"}
    continues.update({"zh-Hant": "扣款都會繼續", "vi": "cước vẫn tiếp tục", "ko": "요금은 계속"})
    for locale, words in continues.items():
        assert words not in detail[locale]


def test_docomo_one_stop_means_a_carrier_outside_one_stop() -> None:
    for provider_id in ("docomo", "irumo", "ahamo"):
        text = _step(provider_id, "online", "mnp_onestop").text
        _all(text, {"en": r"not (?:part of|take part)", "zh-Hans": r"没有参加|未参加", "ja": r"対応していない"})
        _all(text, {"zh-Hant": r"沒有參加|未參加", "vi": r"không tham gia", "ko": r"참여하지 않"})
        assert "with another carrier" not in text["en"]
        # The receiving side's 10-day rule, with the 15-day validity.
        _all(text, {"en": r"at least 10 days", "zh-Hans": r"至少 10 天", "ja": r"10日以上"})
        _all(text, {"zh-Hant": r"至少還剩 10 天", "vi": r"ít nhất 10 ngày", "ko": r"10일 이상"})
        _all(text, {"en": r"15 days", "zh-Hans": r"15 天", "ja": r"15日間"})
        _all(text, {"zh-Hant": r"共 15 天", "vi": r"15 ngày", "ko": r"15일"})


def test_docomo_and_irumo_say_how_to_get_an_mnp_number() -> None:
    for provider_id in ("docomo", "irumo"):
        for proc_id in ("online", "shop"):
            proc = _content().providers[provider_id].procedure(proc_id)
            assert proc is not None
            steps = [s.id for s in proc.steps_for({"sim": "physical", "goal": "keep_number"})]
            assert steps.index("mnp_number_routes") < steps.index("mnp_apply"), (provider_id, proc_id)
        _all(_step(provider_id, "online", "mnp_number_routes").text, dict.fromkeys(LOCALES, "My docomo"))


SHOP_COUNTER = {  # the shop's counter and staff, not e.g. care-facility staff allowed as agents
    "en": r"\bcounter\b|\bthe staff\b|shop staff",
    "zh-Hans": r"柜台|门店工作人员|店员|[请问]工作人员",
    "ja": r"店頭|(?:ショップ|店舗)の窓口|スタッフ",
    "zh-Hant": r"櫃檯|門市人員|店員|[請問]工作人員",
    "vi": r"quầy|nhân viên(?! (?:cơ sở|của cơ sở|tổng đài))",
    "ko": r"매장 창구|(?<!시설 )직원",  # 창구 alone is also a phone line (전화 창구)
}
ON_SCREEN = {
    "en": r"on (?:the )?screen",
    "zh-Hans": r"画面|屏幕上|页面上",
    "ja": r"画面",
    "zh-Hant": r"畫面|螢幕上|頁面上",
    "vi": r"trên màn hình",
    "ko": r"화면",
}


def _shop_procedures() -> list[tuple[Provider, Procedure]]:
    return [(p, proc) for p, proc in _procedures() if proc.channel == "shop"]


@pytest.mark.parametrize("pair", _shop_procedures(), ids=_id)
def test_shop_steps_never_point_at_a_screen(pair: tuple[Provider, Procedure]) -> None:
    provider, proc = pair
    for step in proc.steps:
        for locale, pattern in ON_SCREEN.items():
            assert not re.search(pattern, step.text[locale]), (provider.id, step.id, locale, step.text[locale])


@pytest.mark.parametrize("pair", [pair for pair in _shop_procedures() if "stay" in pair[1].questions], ids=_id)
def test_users_abroad_are_not_sent_to_a_shop_counter(pair: tuple[Provider, Procedure]) -> None:
    provider, proc = pair
    for sim in proc.sim_types:
        for step in proc.steps_for({"sim": sim, "goal": "cancel", "stay": "abroad"}):
            for locale, pattern in SHOP_COUNTER.items():
                assert not re.search(pattern, step.text[locale]), (provider.id, step.id, locale, step.text[locale])


@pytest.mark.parametrize("provider", _providers(), ids=lambda p: p.id)
def test_no_toll_free_number_on_a_path_abroad(provider: Provider) -> None:
    toll_free = {pid for pid, phone in provider.phones.items() if phone.number.startswith(("0120", "0800"))}
    for proc in provider.procedures:
        if "stay" not in proc.questions:
            continue
        for sim in proc.sim_types:
            for step in proc.steps_for({"sim": sim, "goal": "cancel", "stay": "abroad"}):
                used = {arg for kind, arg in step.text.placeholders("en") if kind == "phone"}
                assert not used & toll_free, (provider.id, proc.id, step.id, used & toll_free)


def test_docomo_final_bill_from_abroad_via_ntt_finance() -> None:
    for provider_id in ("docomo", "irumo"):
        provider = _content().providers[provider_id]
        assert provider.phones["ntt_finance_abroad"].number == "+81-3-5463-3582"
        assert provider.sources[provider.phones["ntt_finance_abroad"].sources[0]].kind == "official"
        bill = _step(provider_id, "online", "last_bill")
        assert not bill.uncertain
        assert bill.phase == "after"
        _all(bill.text, dict.fromkeys(LOCALES, r"\{phone:ntt_finance_abroad\}"))
        _all(bill.text, dict.fromkeys(LOCALES, "Web Billing"))
        card = _step(provider_id, "online", "billing_card")
        assert card.phase == "before"
        assert card.when is not None
        assert card.when.stay == ["leaving"]
        _all(card.text, {"en": r"one to two months", "zh-Hans": r"一到两个月", "ja": r"1〜2か月"})
        _all(card.text, {"zh-Hant": r"一到兩個月", "vi": r"1–2 tháng", "ko": r"1~2개월"})
        for proc in provider.procedures:
            for stay in ("leaving", "abroad"):
                assert "last_bill" in [s.id for s in proc.steps_for({"sim": "esim", "goal": "cancel", "stay": stay})]


def test_eight_day_cancellation_names_the_right_system() -> None:
    for provider_id, proc_id, step_id, term in (
        ("docomo", "online", "eight_day", "確認措置"),
        ("docomo", "shop", "eight_day_shop", "確認措置"),
        ("ahamo", "online", "eight_day", "確認措置"),
        ("sakura_mobile", "online", "initial_8day", "初期契約解除"),
    ):
        step = _step(provider_id, proc_id, step_id)
        assert step.phase == "cancel"
        _all(step.text, dict.fromkeys(LOCALES, term))
    # 確認措置 excludes personal reasons such as leaving Japan; 初期契約解除 still charges usage.
    _all(
        _step("docomo", "online", "eight_day").text,
        {
            "en": r"leaving Japan do not count",
            "zh-Hans": r"要离开日本.*不算",
            "ja": r"出国する.*対象外",
            "zh-Hant": r"要離開日本.*不算",
            "vi": r"rời Nhật thì không được tính",
            "ko": r"일본을 떠난다는 개인 사정은 해당되지 않아요",
        },
    )
    _all(
        _step("sakura_mobile", "online", "initial_8day").text,
        {
            "en": "¥3,300",
            "zh-Hans": "3,300",
            "ja": "3,300",
            "zh-Hant": "3,300 日圓",
            "vi": "3.300 yên",
            "ko": "3,300엔",
        },
    )


def test_docomo_family_online_checks_login_and_the_d_account_sms() -> None:
    for provider_id in ("docomo", "irumo"):
        proc = _content().providers[provider_id].procedure("online")
        assert proc is not None
        for stay in ("leaving", "abroad"):
            assert "check_login_before_leaving" in proc.items_for({"sim": "physical", "stay": stay})
        assert "check_login_before_leaving" not in proc.items_for({"sim": "physical", "stay": "staying"})
        assert "residence_card_airport" in proc.items_for({"sim": "physical", "stay": "leaving"})
        assert "sim_unlock" in proc.items_for({"sim": "physical"})
    for provider_id in ("docomo", "irumo", "ahamo"):
        step = _step(provider_id, "online", "d_account")
        assert step.phase == "before"
        _all(
            step.text,
            {
                "en": r"d ACCOUNT \(dアカウント\).*SMS",
                "zh-Hans": r"d账户（dアカウント）.*短信",
                "ja": r"dアカウント.*SMS",
                "zh-Hant": r"d帳號（dアカウント）.*簡訊",
                "vi": r"tài khoản d \(dアカウント\).*SMS",
                "ko": r"d계정\(dアカウント\).*문자",
            },
        )


def test_new_leaver_items_are_sourced_and_phased() -> None:
    catalogue = _content().catalogue
    expected = {
        "residence_card_airport": (
            "before",
            {"en": "residence card", "zh-Hans": "在留卡", "ja": "在留カード", "zh-Hant": "在留卡", "vi": "thẻ cư trú"}
            | {"ko": "재류카드"},
        ),
        "line_transfer": (
            "before",
            {
                "en": "password",
                "zh-Hans": "密码",
                "ja": "パスワード",
                "zh-Hant": "密碼",
                "vi": "mật khẩu",
                "ko": "비밀번호",
            },
        ),
        "sim_unlock": (
            "before",
            {"en": "unlock", "zh-Hans": "解除 SIM 锁|SIM 锁", "ja": "SIMロック", "zh-Hant": "解鎖|SIM 鎖"}
            | {"vi": "mở khóa", "ko": "SIM 잠금"},
        ),
        "bank_account_timing": ("after", dict.fromkeys(LOCALES, "JASSO")),
    }
    for item_id, (phase, patterns) in expected.items():
        item = catalogue.items[item_id]
        assert item.phase == phase, item_id
        _all(item.detail, patterns)
    # JASSO's own rule: bills first, then the bank account.
    assert catalogue.sources["jasso_after"].kind == "gov"
    assert "jasso_after" in catalogue.items["bank_account_timing"].sources
