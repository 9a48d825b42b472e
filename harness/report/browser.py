#!/usr/bin/python3
"""report.html in a real browser: what a person opening it would notice.

    harness/report/browser.py check RUN_DIR              # exit 0, or 1 listing what is wrong
    harness/report/browser.py screenshot RUN_DIR OUT.png [--width 1280] [--height 900]

check opens RUN_DIR/report.html in headless Chromium at 1280 px and fails
when an image does not load, a script error or failed load is logged,
anything makes the page wider than the window (a table may scroll inside
its own box), or the verdict is not the first section. screenshot writes
the top of the page as a person sees it (the README's picture).

The driver is Selenium with ChromeDriver (Debian: python3-selenium,
chromium, chromium-driver): a well-kept one, nothing hand-rolled. It runs
Debian's /usr/bin/python3 (python3-selenium lives there). Chromium is
started as the machine notes say it must be here: headless, no sandbox (we
may be root), no GPU, no background networking, a new empty profile. Exit
77 (skip) when one of those packages is missing, naming it.
"""
import contextlib
import os
import shutil
import sys
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGE_TIMEOUT_S = 120   # generous: a loaded 2-core machine starts Chromium slowly


def skip(why):
    print(f"skip: {why}")
    sys.exit(77)


def open_browser(width, height, profile):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip("Selenium missing (Debian package python3-selenium)")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            skip(f"{path} missing (Debian package {package})")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.common.exceptions import WebDriverException
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    except WebDriverException as e:
        # Chromium's start can time out on a loaded machine ("DevToolsActive
        # Port file doesn't exist"); a broken install fails the second time too.
        print(f"browser: Chromium did not start ({str(e).strip().splitlines()[0]}); once more",
              file=sys.stderr)
        shutil.rmtree(profile, ignore_errors=True)
        os.makedirs(profile, exist_ok=True)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    # The viewport exactly width x height (--window-size counts the window).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


# Run in the page after it loaded: everything a person would notice, as
# a list of problems (empty when the page is fine).
PAGE_CHECKS = r"""
const problems = [];
for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0)
        problems.push('image does not load: ' + (img.alt || img.src.slice(0, 60)));
}
const width = window.innerWidth;
const page = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
if (page > width) {
    let widest = '';
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 0.5 && !el.closest('.scroll')) {
            widest = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     ' (right edge ' + Math.round(r.right) + ' px)';
            break;
        }
    }
    problems.push('page is ' + page + ' px wide, wider than the ' + width + ' px window: ' + widest);
}
const first = document.querySelector('h2');
if (!first || first.textContent.trim() !== 'Verdict' || !first.closest('section#verdict'))
    problems.push('the first section is ' + (first ? '"' + first.textContent + '"' : 'missing') +
                  ', not the verdict');
else if (document.querySelector('#verdict').innerText.trim().split(/\s+/).length < 20)
    problems.push('the verdict says almost nothing');
const verdict = document.querySelector('#verdict');
const table = document.querySelector('table');
if (verdict && table &&
    !(verdict.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING))
    problems.push('a table comes before the verdict');
return problems;
"""


@contextlib.contextmanager
def opened(page, width, height):
    """A browser showing page; closed and its profile removed afterwards."""
    profile = tempfile.mkdtemp(prefix="c10k-browser-")
    driver = None
    try:
        driver = open_browser(width, height, profile)
        driver.get("file://" + page)
        yield driver
    finally:
        if driver:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def check(run, width=1280, height=900):
    page = os.path.join(os.path.abspath(run), "report.html")
    if not os.path.isfile(page):
        print(f"FAIL: {page} missing")
        return 1
    with opened(page, width, height) as driver:
        problems = driver.execute_script(PAGE_CHECKS)
        # Script errors and resources that failed to load, as Chromium logs
        # them to the console (level SEVERE).
        for entry in driver.get_log("browser"):
            if entry.get("level") == "SEVERE":
                problems.append("console: " + entry.get("message", "")[:200])
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print(f"ok: {page} at {width} px: images load, no script errors, "
              "nothing wider than the window, the verdict first")
    return 1 if problems else 0


def screenshot(run, out, width=1280, height=900):
    page = os.path.join(os.path.abspath(run), "report.html")
    if not os.path.isfile(page):
        print(f"harness/report/browser.py: {page} missing", file=sys.stderr)
        return 2
    with opened(page, width, height) as driver:
        if not driver.save_screenshot(out):
            print(f"harness/report/browser.py: could not write {out}", file=sys.stderr)
            return 1
    print(f"wrote {out} ({width}x{height}, the top of {page})")
    return 0


def main(argv):
    usage = ("usage: harness/report/browser.py check RUN_DIR | "
             "screenshot RUN_DIR OUT.png [--width N] [--height N]")
    args, size = [], {"--width": 1280, "--height": 900}
    it = iter(argv[1:])
    for a in it:
        if a in size:
            v = next(it, "")
            if not v.isdigit() or not 200 <= int(v) <= 8000:
                print(f"harness/report/browser.py: {a} {v}: expected 200..8000 px", file=sys.stderr)
                return 2
            size[a] = int(v)
        else:
            args.append(a)
    if len(args) == 2 and args[0] == "check":
        return check(args[1], size["--width"], size["--height"])
    if len(args) == 3 and args[0] == "screenshot":
        return screenshot(args[1], args[2], size["--width"], size["--height"])
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
