"""The kiosk's accessible mode in real Chromium (started the way deploy/ starts a kiosk, so
sound may play): large high-contrast screens in reach, the menu, each control and the issued
ticket spoken as WAV by the server in the kiosk's language, a ticket issued with the keyboard
alone, no time-outs, and a long press anywhere to switch the mode on."""
from __future__ import annotations

import io
import wave
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, format_violations, take_screenshot
from tests.support.devices import pair_context
from tests.support.display_audio import deploy_audio_flags
from tests.support.require import require_espeak

from .test_kiosk_languages import BAND, PORTRAIT, boxes, open_start, serious

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kiosk_browser(playwright_instance, chromium_executable) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True,
        args=CHROMIUM_ARGS + deploy_audio_flags(), timeout=30_000)
    try:
        yield browser
    finally:
        browser.close()


def kiosk_page(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport=PORTRAIT, locale="en-US",
                              bypass_csp=True)
    ctx.set_default_timeout(15_000)
    pair_context(ctx, live_server.url, str(live_server.db_path), ("K1", "K2"))
    return ctx, ctx.new_page()


def assert_wav(response, lang: str) -> wave.Wave_read:
    assert response.status == 200, (response.url, response.status, response.text())
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-language"] == lang
    assert f"lang={lang}" in response.url
    sound = wave.open(io.BytesIO(response.body()))
    assert sound.getnframes() > sound.getframerate() // 2, "under half a second of speech"
    return sound


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_accessible_mode_speaks_and_issues_with_the_keyboard_alone(kiosk_browser, live_server,
                                                                   axe, lang):
    require_espeak()
    ctx, page = kiosk_page(kiosk_browser, live_server)
    try:
        with page.expect_response(lambda r: "/speech/menu.wav" in r.url) as menu:
            open_start(page, f"/kiosk/K1?lang={lang}&a11y=1")
        assert page.evaluate("document.body.classList.contains('a11y')")
        assert_wav(menu.value, lang)
        found = boxes(page)
        out = [b for b in found if b[1] < BAND[0] or b[2] > BAND[1]]
        assert not out, f"controls outside the reachable band: {out}"
        size = page.locator("#service-A .svc-name").evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 40, size  # larger text than the ordinary screen's 35 px
        violations = serious(axe(page))
        assert not violations, f"accessible start ({lang}):\n" + format_violations(violations)
        take_screenshot(page, f"kiosk-accessible-{lang}-start")

        # Keyboard only: an arrow moves to the first service and says it; Enter takes the ticket.
        with page.expect_response(lambda r: "/speech/service.wav" in r.url) as said:
            page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.id") == "service-A"
        assert "service=A" in said.value.url
        assert_wav(said.value, lang)
        with page.expect_response(lambda r: "/speech/ticket.wav" in r.url) as spoken:
            page.keyboard.press("Enter")
        number = page.wait_for_selector("#ticket-number").inner_text()
        assert_wav(spoken.value, lang)
        assert page.get_attribute("[data-return-after]", "data-return-after") == "0"
        assert page.locator(".return-note").count() == 0  # no time-out in this mode
        violations = serious(axe(page))
        assert not violations, f"accessible ticket ({lang}):\n" + format_violations(violations)
        take_screenshot(page, f"kiosk-accessible-{lang}-ticket")

        # "Repeat" says the ticket again; the next key interrupts it.
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.id") == "speech-repeat"
        with page.expect_response(lambda r: "/speech/ticket.wav" in r.url):
            page.keyboard.press("Enter")
        assert number in page.inner_text("#ticket-number")
    finally:
        ctx.close()


def test_the_spoken_ticket_is_in_the_kiosks_language(kiosk_browser, live_server):
    require_espeak()
    ctx, page = kiosk_page(kiosk_browser, live_server)
    try:
        sounds = {}
        for lang in ("en", "es"):
            with page.expect_response(lambda r: "/speech/menu.wav" in r.url) as menu:
                page.goto(f"/kiosk/K1?lang={lang}&a11y=1", wait_until="load")
            sounds[lang] = menu.value.body()
        assert sounds["en"] != sounds["es"]  # one phrase per language, not one shared recording
        bad = page.request.get("/kiosk/K1/speech/text.wav?lang=en&key=no.such.key")
        assert bad.status == 404 and bad.json()["error"] == "not_found"
    finally:
        ctx.close()


def test_a_long_press_anywhere_turns_the_accessible_mode_on(kiosk_browser, live_server):
    ctx, page = kiosk_page(kiosk_browser, live_server)
    try:
        open_start(page, "/kiosk/K1?lang=en")
        assert not page.evaluate("document.body.classList.contains('a11y')")
        page.mouse.move(540, 300)  # the heading: nothing to tap there
        page.mouse.down()
        page.wait_for_url("**a11y=1**")
        page.mouse.up()
        page.wait_for_selector("body.a11y #speech-repeat")
        # Leaving the mode is one button in reach.
        page.click("#a11y-button")
        page.wait_for_function("!document.body.classList.contains('a11y')")
    finally:
        ctx.close()
