"""The step-through page (graph --format html) in headless Chromium, driven by Selenium."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REGRESSION = "c = w*x; f = c + b; J = 0.5*(f - y)^2"
POINT = "w=3,b=1,x=-3,y=5"
SCREENSHOT = Path(__file__).parent.parent / "docs" / "page-last-step.png"


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("page") / "page.html"
    subprocess.run(
        [sys.executable, "-m", "autograph", "graph", REGRESSION, "--at", POINT, "--wrt", "w,b",
         "--format", "html", "-o", str(target)],
        check=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    found = _chromium()
    if found is None:
        pytest.skip("Chromium and chromedriver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    profile = tempfile.mkdtemp(prefix="autograph-chromium-")
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--window-size=1100,900",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(found[1]))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _shown(driver: object, kind: str) -> list[str]:
    found = driver.find_elements("css selector", f"text.step-{kind}:not(.hidden)")  # type: ignore[attr-defined]
    return [element.get_attribute("textContent") for element in found]


def _press(driver: object, button: str, times: int = 1) -> None:
    for _ in range(times):
        driver.find_element("id", button).click()  # type: ignore[attr-defined]


def test_the_page_fetches_nothing(page_file: Path) -> None:
    text = page_file.read_text(encoding="utf-8")
    assert "<script src" not in text and "<link" not in text and "@import" not in text


def test_the_page_loads_without_console_errors(browser: object, page_file: Path) -> None:
    browser.get(page_file.as_uri())  # type: ignore[attr-defined]
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]
    assert errors == []
    assert _shown(browser, "value") == [] and _shown(browser, "adjoint") == []


def test_after_n_forward_steps_exactly_n_values_are_shown(browser: object, page_file: Path) -> None:
    browser.get(page_file.as_uri() + "#step=0")  # type: ignore[attr-defined]
    for count in range(1, 5):
        _press(browser, "next")
        assert len(_shown(browser, "value")) == count
    # w, x, c = w*x, b in the program's order: 3, -3, -9, 1 (the SVG's order is its own)
    assert sorted(_shown(browser, "value")) == sorted(["3", "-3", "-9", "1"])
    assert browser.current_url.endswith("#step=4")  # type: ignore[attr-defined]


def test_after_every_reverse_step_the_gradient_is_39_and_minus_13(
    browser: object, page_file: Path
) -> None:
    browser.get(page_file.as_uri())  # type: ignore[attr-defined]
    _press(browser, "last")
    # by hand: J = 0.5 (w x + b - y)^2, f - y = -13: dJ/dw = -13 x = 39, dJ/db = -13
    gradient = browser.find_element("id", "gradient").text  # type: ignore[attr-defined]
    assert gradient == "gradient: ∂J/∂w = 39, ∂J/∂b = -13"
    caption = browser.find_element("id", "caption").text  # type: ignore[attr-defined]
    assert caption == "reverse pass: dJ/dw = dJ/dc * dc/dw = -13 * x = -13 * -3 = 39"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))  # type: ignore[attr-defined]


def test_going_back_hides_the_last_value(browser: object, page_file: Path) -> None:
    browser.get(page_file.as_uri() + "#step=3")  # type: ignore[attr-defined]
    browser.refresh()  # type: ignore[attr-defined]
    assert sorted(_shown(browser, "value")) == ["-3", "-9", "3"]
    _press(browser, "back")
    assert sorted(_shown(browser, "value")) == ["-3", "3"]  # c = w*x = -9 is hidden again
    browser.find_element("tag name", "body").send_keys("\ue014")  # type: ignore[attr-defined]
    assert sorted(_shown(browser, "value")) == ["-3", "-9", "3"]  # the right arrow steps on
