"""Headless Chromium through selenium: open a report, measure it, screenshot it.

Used by the real-browser test (tests/report/test_browser.py) and runnable by hand to look at
reports: `python -m tests.report.browser OUT_DIR REPORT.html...` writes one full-page PNG each
and prints the page width.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VIEWPORT = 1400  # px: no report may be wider
# Flags that run here and in CI: no GPU, sandbox or network chatter, a fresh profile per run.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
BINARIES = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "chromium-driver")

# Elements whose right edge lies past the viewport, ignoring what sits inside a scroll box
# (a box with overflow auto/scroll clips its content, which the reader scrolls on purpose).
OVERFLOW_JS = """
const limit = arguments[0];
const out = [];
function clipped(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return true;
  }
  return false;
}
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right + window.scrollX > limit + 0.5 && !clipped(el)) {
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
             (el.className ? '.' + String(el.className).split(' ').join('.') : '') +
             ' right=' + Math.round(r.right));
  }
}
return out;
"""
# The top of the first chart a reader sees without opening anything (folded ones are skipped).
FIRST_CHART_JS = """
for (const i of document.images) {
  const r = i.getBoundingClientRect();
  if (r.height > 0) return Math.round(r.top + window.scrollY);
}
return -1;
"""
IMAGES_JS = """
return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);
"""


def find_browser() -> tuple[str, str] | None:
    """(chromium binary, chromedriver) when both are installed, else None."""
    binary = next((b for b in map(shutil.which, BINARIES) if b), None)
    driver = next((d for d in map(shutil.which, DRIVERS) if d), None)
    return (binary, driver) if binary and driver else None


@contextmanager
def chromium(width: int = VIEWPORT, height: int = 900) -> Iterator[object]:
    """A selenium Chrome driver on headless Chromium with a fresh profile, `width` px wide."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        raise RuntimeError(
            "no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)"
        )
    binary, driver_path = found
    profile = tempfile.mkdtemp(prefix="rl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        # The window size includes no chrome in headless mode; set the layout viewport exactly.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver: object, page: Path) -> None:
    driver.get(Path(page).resolve().as_uri())  # type: ignore[attr-defined]


def page_width(driver: object) -> int:
    return int(driver.execute_script("return document.documentElement.scrollWidth"))  # type: ignore[attr-defined]


def page_height(driver: object) -> int:
    return int(driver.execute_script("return document.documentElement.scrollHeight"))  # type: ignore[attr-defined]


def first_chart_top(driver: object) -> int:
    """Pixels from the top of the page to the first visible chart; -1 when none shows."""
    return int(driver.execute_script(FIRST_CHART_JS))  # type: ignore[attr-defined]


def overflowing(driver: object, limit: int = VIEWPORT) -> list[str]:
    return list(driver.execute_script(OVERFLOW_JS, limit))  # type: ignore[attr-defined]


def images(driver: object) -> list[tuple[str, bool, int]]:
    return [tuple(i) for i in driver.execute_script(IMAGES_JS)]  # type: ignore[attr-defined]


def screenshot(driver: object, out: Path, width: int = VIEWPORT) -> None:
    """A full-page PNG: the viewport stretched to the document's height, then captured."""
    import base64

    height = int(driver.execute_script("return document.documentElement.scrollHeight"))  # type: ignore[attr-defined]
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": min(height, 30000), "deviceScaleFactor": 1, "mobile": False},
    )
    shot = driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    Path(out).write_bytes(base64.b64decode(shot["data"]))
    # back to the usual viewport, or the next page would be laid out as tall as this one
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    with chromium() as driver:
        for name in argv[1:]:
            page = Path(name)
            open_page(driver, page)
            width = page_width(driver)
            height, chart = page_height(driver), first_chart_top(driver)
            wide = overflowing(driver)
            broken = [i for i in images(driver) if not i[2]]
            label = page.parent.parent.name
            if page.parent.parent.name != "compare" and page.parent.name.startswith("sweep"):
                label = "sweep"
            elif label not in ("compare", "claims"):
                label = "single-" + label
            screenshot(driver, out_dir / f"{label}.png")
            print(
                f"{page}: width {width}px, height {height}px, first chart at {chart}px, "
                f"{len(wide)} overflowing, {len(broken)} broken images"
            )
            for item in wide[:10]:
                print("   ", item)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
