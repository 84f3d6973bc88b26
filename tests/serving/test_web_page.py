"""The service's web page in headless Chromium, driven by chromedriver (Debian's ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them). Skips with a reason where they are missing."""

from __future__ import annotations

import io
import shutil
import time

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the service needs fastapi + uvicorn (requirements/*.txt)")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (requirements/*.txt)")

from tests.serving.live import SAMPLE  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="headless Chromium test needs the chromium and chromium-driver packages "
                                       "(apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--autoplay-policy=no-user-gesture-required",
                # a fake microphone (a beep) that needs no permission prompt, for the Record button
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--no-proxy-server"):
        opts.add_argument(arg)
    # an explicit driver path: Selenium Manager would otherwise try to download one
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


def _wait(driver, script: str, timeout: float = 120.0):
    """Poll a JS expression until it is truthy; fail with the page's status lines if it never is."""
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.2)
    status = driver.execute_script("return [...document.querySelectorAll('.status')].map(e => e.textContent);")
    raise AssertionError(f"timed out waiting for `{script}`; page status: {status}")


def _canvas_spread(driver) -> float:
    """Standard deviation of the spectrogram canvas's red channel: 0 for a blank canvas."""
    return driver.execute_script("""
        const c = document.getElementById('spectrogram');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0, s2 = 0, n = 0;
        for (let i = 0; i < d.length; i += 4) { s += d[i]; s2 += d[i] * d[i]; n++; }
        return Math.sqrt(s2 / n - (s / n) ** 2);""")


def test_page_renders(browser, url, tmp_path):
    from PIL import Image

    browser.get(f"http://{url}/")
    _wait(browser, "window.serSynth && window.serSynth.ready")
    assert browser.title.startswith("ser_synth")
    options = browser.execute_script("return [...document.getElementById('emotion').options].map(o => o.value);")
    assert {"neutral", "happy", "sad", "angry"} <= set(options)
    for element in ("upload", "record", "text", "intensity", "speaker", "speak", "player", "spectrogram"):
        assert browser.find_element("id", element).is_displayed(), element
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    img = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("RGB"), dtype=np.float32)
    assert img.shape[:2] == (browser.execute_script("return window.innerHeight;"),
                             browser.execute_script("return window.innerWidth;"))
    header = img[:40].reshape(-1, 3).mean(0)  # the dark header bar is drawn
    assert header.mean() < 90, header
    assert len(np.unique(img.reshape(-1, 3).astype(np.uint8), axis=0)) > 50  # text and widgets, not a blank page


def test_synthesize_round_trip_plays(browser, url):
    from selenium.webdriver.support.ui import Select

    browser.get(f"http://{url}/")
    _wait(browser, "window.serSynth && window.serSynth.ready")
    assert _canvas_spread(browser) == 0
    text = browser.find_element("id", "text")
    text.clear()
    text.send_keys("Please open the window.")
    Select(browser.find_element("id", "emotion")).select_by_value("sad")
    browser.execute_script("const s = document.getElementById('intensity'); s.value = 0.6; s.dispatchEvent(new Event('input'));")
    assert browser.find_element("id", "intensity-value").text == "0.60"
    browser.find_element("id", "speak").click()
    _wait(browser, "window.serSynth.synthesized >= 1")
    assert 0.5 < browser.execute_script("return window.serSynth.lastSeconds;") < 8
    assert "sad at intensity 0.60" in browser.find_element("id", "syn-status").text
    _wait(browser, "window.serSynth.played >= 1", timeout=30)
    _wait(browser, "document.getElementById('player').currentTime > 0.1", timeout=30)  # it really plays
    assert _canvas_spread(browser) > 10  # the spectrogram was drawn


def test_upload_and_record_show_emotion_bars(browser, url):
    browser.get(f"http://{url}/")
    _wait(browser, "window.serSynth && window.serSynth.ready")
    browser.find_element("id", "upload").send_keys(str(SAMPLE))
    _wait(browser, "window.serSynth.recognized >= 1")
    bars = browser.find_elements("css selector", "#bars .bar")
    assert sorted(b.get_attribute("data-emotion") for b in bars) == ["angry", "happy", "neutral", "sad"]
    top = browser.find_element("css selector", "#bars .bar.top").get_attribute("data-emotion")
    assert top == browser.execute_script("return window.serSynth.lastLabel;")
    assert SAMPLE.name in browser.find_element("id", "rec-status").text
    # record ~1.5 s from Chromium's fake microphone, then stop: the WAV the page builds is recognized
    browser.find_element("id", "record").click()
    _wait(browser, "document.getElementById('stop').disabled === false", timeout=20)
    time.sleep(1.5)
    browser.find_element("id", "stop").click()
    _wait(browser, "window.serSynth.recognized >= 2")
    assert "recording:" in browser.find_element("id", "rec-status").text
