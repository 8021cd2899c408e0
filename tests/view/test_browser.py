"""The live pages in a real browser: headless Debian chromium driven by Playwright, offline, on 127.0.0.1.

One server (``gradient view membrane`` in a subprocess, the real command) and one browser per xdist worker
serve the tests here (module-scoped). The ``xdist_group`` mark keeps them on one worker (setup.cfg pins
pytest < 9.2, where ``--dist loadgroup`` honours it); still, no test relies on another having run. Every request the
pages make is recorded; any that is not to the loopback server is aborted and fails the last test, as does
any HTTP response ≥ 400 or "Could not load" in the server's log. Without chromium the tests skip, except
under ``CI=true``, where they fail (as they do with ``GRADIENT_REQUIRE_BROWSER=1``, which .ci/run sets after
installing chromium).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xdist_group(name="browser"), pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = re.compile(r"^(https?|wss?)://127\.0\.0\.1[:/]|^(data|blob|about):")
CLOCK = re.compile(r"simulated time t = ([0-9.]+) s \(frame (\d+),")


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"no chromium at {CHROMIUM}: install Debian's (apt-get install chromium); never `playwright install`"
    if os.environ.get("CI") or os.environ.get("GRADIENT_REQUIRE_BROWSER"):
        pytest.fail(f"CI must run the browser tests, but {reason}")
    pytest.skip(reason)


class Network:
    """Every request the browser made that is not to loopback, and every HTTP response ≥ 400."""

    def __init__(self) -> None:
        self.external: list[str] = []
        self.errors: list[tuple[int, str]] = []
        self.pages = 0


def expect(locator):
    """Playwright's retrying assertion (the page's widgets update one websocket message at a time)."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``gradient view membrane --port N`` in a subprocess; yields (base URL, log path, pid)."""
    _need_chromium()
    from scenarios.view.server import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("view") / "server.log"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scenarios.cli", "view", "membrane", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/membrane", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the view server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield url, log, proc.pid
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def network() -> Network:
    return Network()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def open_page(browser, network: Network, url: str):
    """A new browser context (a new tab session, so a new model) on `url`, with every request recorded."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(r) -> None:
        if LOOPBACK.match(r.request.url):
            r.continue_()
        else:
            network.external.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("response", lambda resp: network.errors.append((resp.status, resp.url)) if resp.status >= 400 else None)
    page.goto(url)
    page.locator(".sim-clock").first.wait_for(timeout=60_000)
    network.pages += 1
    return page


def clock(page) -> tuple[float, int]:
    """(simulated seconds, frame) as the page shows them."""
    m = CLOCK.search(page.locator(".sim-clock").first.inner_text())
    assert m, page.locator(".sim-clock").first.inner_text()
    return float(m.group(1)), int(m.group(2))


def wait_frame(page, frame: int, timeout: float = 30.0) -> tuple[float, int]:
    deadline = time.monotonic() + timeout
    while (now := clock(page))[1] < frame:
        assert time.monotonic() < deadline, f"frame {frame} not reached; page shows {now}"
        time.sleep(0.05)
    return now


def step(page, n: int = 1) -> tuple[float, int]:
    """Click SolaraViz's Step button `n` times, waiting for each frame."""
    for _ in range(n):
        frame = clock(page)[1]
        page.get_by_role("button", name="Step", exact=True).click()
        now = wait_frame(page, frame + 1)
    return now


@pytest.fixture(scope="module")
def membrane_page(browser, network, server):
    page = open_page(browser, network, server[0] + "/membrane")
    yield page
    page.context.close()


def test_step_twice_shows_simulated_seconds(membrane_page) -> None:
    """Two clicks on Step advance the page's clock by two frames: 0.020 simulated seconds (10 ms frames)."""
    t0, f0 = clock(membrane_page)
    t, frame = step(membrane_page, 2)
    assert frame == f0 + 2 and t == pytest.approx(t0 + 0.02, abs=1e-9)


def test_inhibitor_and_slider_apply_at_the_next_frame(membrane_page, shots) -> None:
    """Oligomycin and an ATP-demand slider move are queued; the page shows them applied after the next Step,
    stamped with the frame boundary's simulated time."""
    page = membrane_page
    readout = page.locator(".membrane-readout")
    t0, _ = clock(page)
    page.get_by_role("button", name="oligomycin").click()
    page.locator(".applied").get_by_text("queued for the next frame").wait_for(timeout=10_000)
    assert "inhibitors: none" in readout.inner_text()
    slider = page.get_by_text("Membrane: controls").locator("xpath=..").get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    page.get_by_text("2 queued for the next frame").wait_for(timeout=10_000)
    assert "ATP demand now: 300 ATP/s" in readout.inner_text()
    step(page)
    expect(readout).to_contain_text("inhibitors: oligomycin")
    expect(readout).to_contain_text("ATP demand now: 350 ATP/s")
    expect(page.locator(".applied")).to_contain_text(f"t = {t0:.3f} s: oligomycin added")
    expect(page.locator(".applied")).to_contain_text(f"t = {t0:.3f} s: ATP demand set to 350 ATP/s")
    step(page, 9)  # ten frames since the boundary: the 0.1 s ATP-synthesis window lies wholly after it
    expect(readout).to_contain_text("ATP synthesis = 0.0 ATP/s")
    page.locator(".membrane-series canvas").first.wait_for(timeout=20_000)
    page.screenshot(path=str(shots / "membrane.png"))


def test_second_context_gets_its_own_model(browser, network, server, membrane_page) -> None:
    """A second browser context (another tab session) starts its own model at t = 0 and steps it alone."""
    before = clock(membrane_page)
    other = open_page(browser, network, server[0] + "/membrane")
    try:
        assert clock(other) == (0.0, 0)
        step(other)
        expect(other.locator(".membrane-readout")).to_contain_text("inhibitors: none")
        assert clock(membrane_page) == before
    finally:
        other.context.close()


def test_membrane_page_plays_at_least_two_frames_per_second(membrane_page) -> None:
    """Play: the frame counter the page shows advances at ≥ 2 frames per wall-clock second (target set
    before measuring; frames counted from the page text, wall time around them)."""
    page = membrane_page
    page.get_by_role("button", name="▶").click()
    _, f0 = wait_frame(page, clock(page)[1] + 1)
    w0 = time.monotonic()
    time.sleep(3.0)
    _, f1 = clock(page)
    w1 = time.monotonic()
    page.get_by_role("button", name="❚❚").click()
    rate = (f1 - f0) / (w1 - w0)
    print(f"membrane page: {rate:.1f} frames/s")
    assert rate >= 2.0, f"{rate:.2f} frames/s"


def test_reset_rebuilds_the_model(membrane_page) -> None:
    """Reset rebuilds the model from its parameters: clock at 0, no inhibitor, the starting demand."""
    page = membrane_page
    time.sleep(0.3)  # let a frame in progress when Pause was clicked finish
    page.get_by_role("button", name="Reset", exact=True).click()
    deadline = time.monotonic() + 20
    while clock(page) != (0.0, 0):
        assert time.monotonic() < deadline, clock(page)
        time.sleep(0.1)
    expect(page.locator(".membrane-readout")).to_contain_text("inhibitors: none")
    expect(page.locator(".membrane-readout")).to_contain_text("ATP demand now: 300 ATP/s")


def test_attention_page_shows_its_heatmap(browser, network, server, shots) -> None:
    """The attention page draws the current window's attention (an image) and its series chart."""
    page = open_page(browser, network, server[0] + "/attention")
    try:
        step(page, 2)
        heat = page.locator(".attention-heatmap")
        heat.wait_for(timeout=20_000)
        box = heat.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50
        page.locator(".attention-series canvas").first.wait_for(timeout=20_000)
        expect(page.locator(".token-stream").first).to_contain_text("tokens done: 10")
        page.screenshot(path=str(shots / "attention.png"))
    finally:
        page.context.close()


def test_coupled_page_shows_the_budget(browser, network, server, shots) -> None:
    """The coupled page runs both worlds on one clock: one Step spends k ATP per completed token."""
    page = open_page(browser, network, server[0] + "/coupled")
    try:
        step(page, 3)
        expect(page.locator(".coupled-readout")).to_contain_text("4 ATP per token")
        page.locator(".coupled-series canvas").first.wait_for(timeout=20_000)
        page.screenshot(path=str(shots / "coupled.png"))
    finally:
        page.context.close()


def test_server_listens_only_on_loopback(server) -> None:
    """Every listening socket of the server process is bound to 127.0.0.1 (no IPv6, no 0.0.0.0)."""
    pid = server[2]
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                listening.append((table, cols[1]))
    port = int(server[0].rsplit(":", 1)[1])
    assert listening == [("tcp", f"0100007F:{port:04X}")], listening


def test_no_external_request_no_error_response_no_cdn_fallback(browser, network, server) -> None:
    """Across every page opened on this server: no request left loopback, no response was ≥ 400, and the
    server never tried to fetch a missing front-end asset ("Could not load" in its log)."""
    if network.pages == 0:  # the other tests ran on another worker: open a page here
        page = open_page(browser, network, server[0] + "/coupled")
        step(page)
        page.context.close()
    assert network.external == []
    assert network.errors == []
    assert "Could not load" not in server[1].read_text()
