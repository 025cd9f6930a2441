"""Facts fixed in issue 14 for au, UQ mobile, povo, SoftBank, Y!mobile, LINEMO, Rakuten Mobile and IIJmio.

Each test reads the shipped content (`content/data`) and pins one fact in every locale, so a later edit that
brings back a wrong statement (a toll-free number for someone abroad, the shop counter in the abroad branch,
"post the SIM back" for an eSIM, ...) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest

from content import LOCALES, Content, load_content
from content.check import glossary_problems
from content.schema import PHASES, Procedure, Provider, Step

PROVIDERS = ("au", "uq_mobile", "povo", "softbank", "ymobile", "linemo", "rakuten", "iijmio")
STAYS = ("staying", "leaving", "abroad")


@cache
def _content() -> Content:
    return load_content()


def _provider(provider_id: str) -> Provider:
    return _content().providers[provider_id]


def _procedures() -> Iterator[tuple[Provider, Procedure]]:
    for provider_id in PROVIDERS:
        provider = _provider(provider_id)
        for proc in provider.procedures:
            yield provider, proc


def _path(proc: Procedure, sim: str, goal: str, stay: str | None = None) -> list[Step]:
    answers = {"sim": sim, "goal": goal}
    if stay is not None and "stay" in proc.questions:
        answers["stay"] = stay
    return proc.steps_for(answers)


def _step(proc: Procedure, step_id: str) -> Step:
    return next(s for s in proc.steps if s.id == step_id)


PAIRS = list(_procedures())


def _pair_id(pair: tuple[Provider, Procedure]) -> str:
    return f"{pair[0].id}/{pair[1].id}"


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_every_step_has_a_phase_and_they_run_before_cancel_after(pair: tuple[Provider, Procedure]) -> None:
    proc = pair[1]
    phases = [s.phase for s in proc.steps]
    assert None not in phases, [s.id for s in proc.steps if s.phase is None]
    order = [PHASES.index(p) for p in phases if p is not None]
    assert order == sorted(order), [(s.id, s.phase) for s in proc.steps]
    # Preparation that the issue found after the act: points, carrier billing and unlocking come before it.
    for step in proc.steps:
        if step.id in {"points", "points_au_id", "au_id", "carrier_payments", "mail_portability", "uq_mail"}:
            assert step.phase == "before", step.id
        if step.id in {"esim_after", "esim_after_shop", "sim_card", "sim_card_shop", "pay_final_bill"}:
            assert step.phase == "after", step.id


def test_my_files_are_clean_for_the_glossary() -> None:
    mine = [p for p in glossary_problems(_content()) if any(f"/{pid}.yaml" in str(p.file) for pid in PROVIDERS)]
    assert not mine, mine


# ---- SoftBank -----------------------------------------------------------------------------------------------

MY_SOFTBANK_MNP = {
    "en": ("My SoftBank", "*5533", "at least 10 days"),
    "zh-Hans": ("My SoftBank", "*5533", "至少还剩 10 天"),
    "ja": ("My SoftBank", "*5533", "残り10日以上"),
    "zh-Hant": ("My SoftBank", "*5533", "至少還剩 10 天"),
    "vi": ("My SoftBank", "*5533", "ít nhất 10 ngày"),
    "ko": ("My SoftBank", "*5533", "10일 이상"),
}


def test_softbank_mnp_number_names_my_softbank_the_short_code_and_the_free_line() -> None:
    softbank = _provider("softbank")
    proc = softbank.procedures[0]
    steps = _path(proc, "physical", "keep_number", "staying")
    step = next(s for s in steps if s.id == "mnp_number")
    assert step.phase == "before"
    assert softbank.phones["mnp"].number == "0800-100-5533"
    for locale in LOCALES:
        text = step.text[locale]
        for needle in MY_SOFTBANK_MNP[locale]:
            assert needle in text, (locale, needle)
        assert "{phone:mnp}" in text


# Words for the shop counter and its staff (care-facility staff acting as agents are another matter).
COUNTER = {
    "en": re.compile(r"\bcounter\b|(?<!facility )\bstaff\b", re.IGNORECASE),
    "zh-Hans": re.compile(r"柜台|(?<!机构)工作人员"),
    "ja": re.compile(r"受付で「|ショップの受付|スタッフ|店頭"),
    "zh-Hant": re.compile(r"櫃檯|(?<!機構)工作人員|店員|門市人員"),
    "vi": re.compile(r"quầy|nhân viên(?! (?:cơ sở|của cơ sở|tổng đài))", re.IGNORECASE),
    "ko": re.compile(r"매장 창구|(?<!시설 )직원"),  # 창구 alone is also a phone line (전화 창구)
}


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_abroad_branch_never_sends_anyone_to_the_counter(pair: tuple[Provider, Procedure]) -> None:
    provider, proc = pair
    if "stay" not in proc.questions:
        pytest.skip("no abroad branch")
    for sim in proc.sim_types:
        for step in _path(proc, sim, "cancel", "abroad"):
            for locale in LOCALES:
                assert not COUNTER[locale].search(step.text[locale]), (provider.id, proc.id, step.id, locale)


def test_softbank_title_does_not_promise_a_shop_to_someone_abroad() -> None:
    proc = _provider("softbank").procedures[0]
    assert "Cancel at a SoftBank shop" not in proc.title["en"]
    for locale in LOCALES:
        assert "My SoftBank" in proc.title[locale], locale


# ---- toll-free numbers and people abroad ----------------------------------------------------------------------

TOLL_FREE = re.compile(r"^0(?:120|800)-")


@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_abroad_branch_offers_no_toll_free_number(pair: tuple[Provider, Procedure]) -> None:
    provider, proc = pair
    if "stay" not in proc.questions:
        pytest.skip("no abroad branch")
    for sim in proc.sim_types:
        for step in _path(proc, sim, "cancel", "abroad"):
            for locale in LOCALES:
                numbers = {provider.phones[m].number for m in re.findall(r"\{phone:([a-z0-9_]+)\}", step.text[locale])}
                assert not {n for n in numbers if TOLL_FREE.match(n)}, (provider.id, step.id, locale, numbers)


FROM_JAPAN_ONLY = {
    "en": "from Japan only",
    "zh-Hans": "只能在日本国内拨打",
    "ja": "日本国内からのみ",
    "zh-Hant": "僅限日本國內撥打",
    "vi": "chỉ gọi được trong Nhật",
    "ko": "일본 국내에서만",
}
NOT_FROM_ABROAD = {
    "en": "cannot be dialled from abroad",
    "zh-Hans": "在国外打不通",
    "ja": "海外からはつながらない",
    "zh-Hant": "從國外打不通",
    "vi": "không gọi được từ nước ngoài",
    "ko": "해외에서는 걸 수 없어요",
}


def test_au_gives_its_from_abroad_number_and_labels_0120_lines_as_domestic() -> None:
    au = _provider("au")
    assert au.phones["abroad"].number.startswith("+81-")
    for phone_id in ("support_en", "support_zh"):
        assert TOLL_FREE.match(au.phones[phone_id].number)
        for locale in LOCALES:
            assert FROM_JAPAN_ONLY[locale] in au.phones[phone_id].label[locale], (phone_id, locale)
    for proc in au.procedures:
        abroad = _path(proc, "physical", "cancel", "abroad")
        assert any("{phone:abroad}" in s.text[locale] for s in abroad for locale in LOCALES), proc.id
        leaving = _path(proc, "physical", "cancel", "leaving")
        # The 0120 lines go to people still in Japan, with the warning that they do not work from abroad.
        before = next(s for s in leaving if s.id == "leaving_before_departure")
        for locale in LOCALES:
            assert "{phone:support_zh}" in before.text[locale], locale
            assert NOT_FROM_ABROAD[locale] in before.text[locale], locale


# ---- no screen in a shop ---------------------------------------------------------------------------------------

ON_SCREEN = {
    "en": re.compile(r"\bon screen\b", re.IGNORECASE),
    "zh-Hans": re.compile(r"画面|屏幕上的费用|页面上的费用"),
    "ja": re.compile(r"画面の料金|画面の表示"),
    "zh-Hant": re.compile(r"畫面|螢幕上的費用|頁面上的費用"),
    "vi": re.compile(r"trên màn hình", re.IGNORECASE),
    "ko": re.compile(r"화면"),
}


@pytest.mark.parametrize("provider_id", ["au", "uq_mobile", "softbank", "ymobile"])
def test_shop_procedures_never_read_fees_on_a_screen(provider_id: str) -> None:
    provider = _provider(provider_id)
    shop = next(p for p in provider.procedures if p.channel == "shop")
    for step in shop.steps:
        for locale in LOCALES:
            assert not ON_SCREEN[locale].search(step.text[locale]), (provider_id, step.id, locale)


# ---- IIJmio eSIM ------------------------------------------------------------------------------------------------

POST_BACK = {
    "en": re.compile(r"post(?:ed)? (?:it )?back", re.I),
    "zh-Hans": re.compile(r"寄回"),
    "ja": re.compile(r"返却|返送"),
    "zh-Hant": re.compile(r"寄回|退還"),
    "vi": re.compile(r"gửi trả|gửi lại", re.IGNORECASE),
    "ko": re.compile(r"반납|반송"),
}
MONTH_END = {"en": "month-end", "zh-Hans": "月底", "ja": "月末", "zh-Hant": "月底", "vi": "cuối tháng", "ko": "월말"}


def test_iijmio_esim_is_offered_and_never_told_to_post_a_card_back() -> None:
    iijmio = _provider("iijmio")
    assert iijmio.channels_for("esim") == ["online"]
    proc = iijmio.procedure_for("esim", "online")
    assert proc is not None
    for stay in STAYS:
        steps = _path(proc, "esim", "cancel", stay)
        ids = [s.id for s in steps]
        assert "sim_card" not in ids
        esim_after = steps[ids.index("esim_after")]
        assert ids.index("esim_after") > ids.index("confirm_online")
        for locale in LOCALES:
            # Month-end effect: the eSIM goes only once the line has ended, not right after the request.
            assert MONTH_END[locale] in esim_after.text[locale], locale
            for step in steps:
                if step.id != "esim_after":
                    assert not POST_BACK[locale].search(step.text[locale]), (step.id, locale)
    assert "dispose_sim_card" not in proc.items_for({"sim": "esim"})
    assert "delete_esim_profile" in proc.items_for({"sim": "esim"})


# ---- LINEMO and Rakuten: say what the sources say ------------------------------------------------------------

LINEMO_SMS_CHAT = {
    "en": ("SMS", "chat support"),
    "zh-Hans": ("短信验证码", "聊天客服"),
    "ja": ("SMS", "チャットサポート"),
    "zh-Hant": ("簡訊", "線上客服（聊天"),
    "vi": ("SMS", "hỗ trợ qua chat"),
    "ko": ("문자", "채팅 상담"),
}


def test_linemo_names_the_sms_code_and_chat_support() -> None:
    linemo = _provider("linemo")
    proc = linemo.procedures[0]
    abroad = {s.id: s for s in _path(proc, "esim", "cancel", "abroad")}
    assert linemo.note is not None
    for locale in LOCALES:
        sms, chat = LINEMO_SMS_CHAT[locale]
        assert sms in linemo.note[locale], locale
        assert chat in linemo.note[locale], locale
        assert sms in abroad["abroad_online_only"].text[locale]
        assert chat in abroad["abroad_online_only"].text[locale]
        assert sms in abroad["confirm_online"].text[locale], locale
    assert "not confirmed" not in abroad["abroad_online_only"].text["en"]


def test_rakuten_japanese_note_does_not_claim_official_guidance() -> None:
    note = _provider("rakuten").note
    assert note is not None
    assert "案内されています" not in note["ja"]
    assert "まとめサイト" in note["ja"]
    assert "aggregator" in note["en"]
    assert "汇总网站" in note["zh-Hans"]
    assert "彙整網站" in note["zh-Hant"]
    assert "trang tổng hợp" in note["vi"]
    assert "정리 사이트" in note["ko"]


# ---- mail ---------------------------------------------------------------------------------------------------------

UQ_MAIL_GONE = {
    "en": "cannot be kept",
    "zh-Hans": "不能保留",
    "ja": "残せません",
    "zh-Hant": "無法保留",
    "vi": "không giữ lại được",
    "ko": "남길 수 없어요",
}


def test_uq_mobile_tells_users_their_mail_cannot_be_kept() -> None:
    uq = _provider("uq_mobile")
    for proc in uq.procedures:
        for stay in STAYS:
            step = next(s for s in _path(proc, "physical", "cancel", stay) if s.id == "uq_mail")
            assert step.phase == "before"
            assert not step.uncertain
            assert any(uq.sources[r].kind == "news" for r in step.sources)
            for locale in LOCALES:
                assert UQ_MAIL_GONE[locale] in step.text[locale], locale


@pytest.mark.parametrize("provider_id", ["softbank", "ymobile"])
def test_softbank_and_ymobile_offer_mail_portability(provider_id: str) -> None:
    provider = _provider(provider_id)
    step = _step(provider.procedures[0], "mail_portability")
    assert any(provider.sources[r].kind == "news" for r in step.sources)
    for locale in LOCALES:
        assert "メールアドレス持ち運び" in step.text[locale]
        assert ("3.300" if locale == "vi" else "3,300") in step.text[locale]  # vi groups thousands with a dot


def test_au_mail_portability_is_taken_within_31_days_after() -> None:
    step = _step(_provider("au").procedures[0], "au_mail")
    assert step.phase == "after"
    assert not step.uncertain
    for locale in LOCALES:
        assert "31" in step.text[locale]
        assert "330" in step.text[locale]


# ---- povo's 180-day rule ---------------------------------------------------------------------------------------


def test_povo_180_day_rule_reaches_leavers_and_rests_on_news() -> None:
    povo = _provider("povo")
    proc = povo.procedures[0]
    for stay in ("leaving", "abroad"):
        step = next(s for s in _path(proc, "esim", "cancel", stay) if s.id == "parking_180_days")
        assert not step.uncertain
        assert any(povo.sources[r].kind == "news" for r in step.sources)
        for locale in LOCALES:
            assert "180" in step.text[locale]
            assert "660" in step.text[locale]
            assert "30" in step.text[locale]


# ---- 8-day cancellation -----------------------------------------------------------------------------------------

EIGHT_DAY_IDS = {"eight_day", "initial_cancellation"}
NOT_FOR_LEAVING = {
    "en": "leaving Japan is not",
    "zh-Hans": "“要离开日本”",
    "ja": "出国は理由",
    "zh-Hant": "“要離開日本”",
    "vi": "rời Nhật không phải là",
    "ko": "출국은 사유가",
}


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_new_contracts_get_an_eight_day_step_in_the_cancel_phase(provider_id: str) -> None:
    provider = _provider(provider_id)
    for proc in provider.procedures:
        steps = _path(proc, proc.sim_types[0], "cancel", "staying")
        step = next((s for s in steps if s.id in EIGHT_DAY_IDS), None)
        assert step is not None, (provider_id, proc.id, [s.id for s in steps])
        assert step.phase == "cancel"
        for locale in LOCALES:
            assert "8" in step.text[locale], locale


@pytest.mark.parametrize("provider_id", ["softbank", "ymobile", "au"])
def test_official_eight_day_pages_say_leaving_japan_is_no_reason(provider_id: str) -> None:
    provider = _provider(provider_id)
    step = _step(provider.procedures[0], "eight_day")
    assert not step.uncertain
    assert any(provider.sources[r].kind == "official" for r in step.sources)
    for locale in LOCALES:
        assert NOT_FOR_LEAVING[locale] in step.text[locale], locale


# ---- MNP予約番号: how to get it, and the 10-day rule ------------------------------------------------------------

TEN_DAYS = {
    "en": "at least 10 days",
    "zh-Hans": "10 天",
    "ja": "10日",
    "zh-Hant": "10 天",
    "vi": "10 ngày",
    "ko": "10일",
}


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_keep_number_path_says_how_long_an_mnp_number_must_still_be_valid(provider_id: str) -> None:
    provider = _provider(provider_id)
    for proc in provider.procedures:
        steps = _path(proc, proc.sim_types[0], "keep_number", "staying")
        step = next(s for s in steps if s.id == "mnp_number")
        assert step.phase == "before"
        for locale in LOCALES:
            assert "15" in step.text[locale], (provider_id, locale)
            assert TEN_DAYS[locale] in step.text[locale], (provider_id, locale)


def test_linemo_mnp_number_comes_from_my_menu() -> None:
    step = _step(_provider("linemo").procedures[0], "mnp_number")
    for locale in LOCALES:
        assert "My Menu" in step.text[locale], locale
        assert "「解約・MNP」" in step.text[locale], locale


# ---- logins, bills ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider_id", ["au", "uq_mobile", "ymobile", "softbank"])
def test_online_routes_carry_the_login_check_before_leaving(provider_id: str) -> None:
    provider = _provider(provider_id)
    proc = provider.procedure_for("physical", "online") or provider.procedures[0]
    assert "check_login_before_leaving" in proc.items_for({"sim": "physical"}), provider_id


AU_ROUTES = {
    "en": ("My au", "Seven-Eleven", "abroad"),
    "zh-Hans": ("My au", "7-Eleven", "国外"),
    "ja": ("My au", "セブン-イレブン", "海外"),
    "zh-Hant": ("My au", "7-Eleven", "國外"),
    "vi": ("My au", "7-Eleven", "nước ngoài"),
    "ko": ("My au", "세븐일레븐", "해외"),
}


def test_au_final_bill_routes_and_what_works_from_abroad() -> None:
    au = _provider("au")
    step = _step(au.procedures[0], "pay_final_bill")
    assert step.phase == "after"
    assert any(au.sources[r].kind == "official" for r in step.sources)
    for locale in LOCALES:
        for needle in AU_ROUTES[locale]:
            assert needle in step.text[locale], (locale, needle)


@pytest.mark.parametrize("provider_id", ["softbank", "rakuten"])
def test_softbank_and_rakuten_say_how_the_last_bill_reaches_a_leaver(provider_id: str) -> None:
    provider = _provider(provider_id)
    step = _step(provider.procedures[0], "pay_final_bill")
    assert step.phase == "after"
    assert any(provider.sources[r].kind in {"official", "gov"} for r in step.sources)
    for locale in LOCALES:
        assert re.search(r"bank account|银行账户|銀行口座|銀行帳戶|tài khoản ngân hàng|은행 계좌", step.text[locale]), (
            locale
        )
