"""fetch_file against the loopback model server: resume, bad ranges, damage, stalls, full disks, cancel."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desktop_assistant.cancel import CancelToken
from desktop_assistant.errors import DownloadCancelled, DownloadError
from desktop_assistant.fetch.download import fetch_file
from tests.fetch.conftest import Recorder

PATH = "/github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0/model.onnx"
DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def _fetch(client: httpx.Client, url: str, target: Path, progress: Recorder, **kw: object) -> None:
    fetch_file(client, url, target, len(DATA), SHA, progress, **kw)  # type: ignore[arg-type]


def _partial(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def test_a_download_the_server_dropped_resumes_with_a_range(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "models" / "model.onnx"
    server.fail_next(PATH, "die")
    recorder.when(len(DATA) // 2, server.release.set)
    with pytest.raises(DownloadError) as failed:
        _fetch(client, url, target, recorder)
    assert "closed the connection" in str(failed.value) and "again to resume" in str(failed.value)
    assert not target.exists() and _partial(target).stat().st_size == len(DATA) // 2

    again = Recorder()
    _fetch(client, url, target, again)
    assert target.read_bytes() == DATA and not _partial(target).exists()
    assert [r.range for r in server.seen(PATH)] == [None, f"bytes={len(DATA) // 2}-"]
    assert again.begins() == [("model.onnx", len(DATA), len(DATA) // 2)]
    assert again.events[-1] == ("end", None)


def test_a_server_that_ignores_ranges_sends_the_file_again_from_the_start(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    _partial(target).write_bytes(DATA[:1000])
    server.fail_next(PATH, "no-range")
    _fetch(client, url, target, recorder)
    assert target.read_bytes() == DATA
    assert [r.range for r in server.seen(PATH)] == ["bytes=1000-"]
    assert recorder.begins() == [("model.onnx", len(DATA), 0)]


def test_a_wrong_content_range_starts_over_with_a_plain_request(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    _partial(target).write_bytes(DATA[:1000])
    server.fail_next(PATH, "wrong-range")
    _fetch(client, url, target, recorder)
    assert target.read_bytes() == DATA
    assert [r.range for r in server.seen(PATH)] == ["bytes=1000-", None]


def test_a_partial_larger_than_the_file_is_discarded(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    _partial(target).write_bytes(DATA + b"extra")
    _fetch(client, url, target, recorder)
    assert target.read_bytes() == DATA
    assert [r.range for r in server.seen(PATH)] == [None]


def test_a_truncated_body_keeps_the_partial(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    server.fail_next(PATH, "truncate")
    with pytest.raises(DownloadError) as failed:
        _fetch(client, url, target, recorder)
    line = str(failed.value)
    assert "127.0.0.1" in line and "again to resume" in line and "\n" not in line
    assert not target.exists() and _partial(target).read_bytes() == DATA[: len(DATA) // 2]


def test_damaged_bytes_leave_nothing_behind(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    server.fail_next(PATH, "flip")
    with pytest.raises(DownloadError) as failed:
        _fetch(client, url, target, recorder)
    line = str(failed.value)
    assert "sha256" in line and "damaged in transit" in line and "\n" not in line
    assert list(tmp_path.iterdir()) == []
    assert ("end", None) not in recorder.events


def test_a_stalled_server_ends_the_download_and_keeps_the_partial(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    server.fail_next(PATH, "stall")
    with pytest.raises(DownloadError) as failed:
        _fetch(client, url, target, recorder, stall_s=0.5)
    assert "stalled" in str(failed.value) and "again to resume" in str(failed.value)
    assert _partial(target).read_bytes() == DATA[: len(DATA) // 2]
    assert server.hung_up.wait(30)


def test_cancel_from_another_thread_hangs_up_at_once(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    target = tmp_path / "model.onnx"
    server.fail_next(PATH, "stall")
    cancel = CancelToken()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            # A stall limit far beyond the test's: only the cancel's hang-up can end this soon.
            _fetch(client, url, target, recorder, cancel=cancel, stall_s=120)
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert recorder.wait_for(len(DATA) // 2)
    cancel.set()
    worker.join()
    assert len(raised) == 1 and isinstance(raised[0], DownloadCancelled)
    assert server.hung_up.wait(30)
    assert _partial(target).read_bytes() == DATA[: len(DATA) // 2]


def test_http_errors_name_the_host_and_status(server, client, recorder, tmp_path):
    url = server.add_file(PATH, DATA)
    server.fail_next(PATH, "503")
    with pytest.raises(DownloadError) as failed:
        _fetch(client, url, tmp_path / "model.onnx", recorder)
    line = str(failed.value)
    assert line.startswith(f"{server.url.removeprefix('http://')} answered HTTP 503")
    assert "models.mirror" in line
    with pytest.raises(DownloadError, match="HTTP 404"):
        _fetch(client, server.url + "/missing.onnx", tmp_path / "model.onnx", recorder)


def test_an_unreachable_host_is_one_line_with_a_hint(client, recorder, tmp_path):
    port = _free_port()
    with pytest.raises(DownloadError) as failed:
        _fetch(client, f"http://127.0.0.1:{port}/x.onnx", tmp_path / "x.onnx", recorder)
    line = str(failed.value)
    assert line.startswith(f"Cannot reach 127.0.0.1:{port}") and "network" in line and "\n" not in line


def test_redirects_are_followed(server, client, recorder, tmp_path):
    server.add_file("/objects/abc", DATA)
    url = server.redirect(PATH, "/objects/abc")
    _fetch(client, url, tmp_path / "model.onnx", recorder)
    assert (tmp_path / "model.onnx").read_bytes() == DATA
    assert [r.path for r in server.requests] == [PATH, "/objects/abc"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB file system (tmpfs; the tests run as root)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_too_little_free_space_is_caught_before_the_download(server, client, recorder, small_disk):
    big = os.urandom(3_000_000)
    url = server.add_file(PATH, big)
    with pytest.raises(DownloadError) as failed:
        fetch_file(client, url, small_disk / "m.onnx", len(big), hashlib.sha256(big).hexdigest(), recorder)
    line = str(failed.value)
    assert f"Not enough free space in {small_disk}: 3.0 MB more needed" in line
    assert server.requests == []


def test_a_disk_that_fills_up_mid_download_is_one_line(server, client, small_disk):
    data = os.urandom(1_500_000)
    url = server.add_file(PATH, data)

    class FillsTheDisk(Recorder):
        def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
            (small_disk / "other").write_bytes(b"\0" * 1_000_000)
            super().begin(label, total_bytes, done_bytes)

    with pytest.raises(DownloadError) as failed:
        fetch_file(
            client, url, small_disk / "m.onnx", len(data), hashlib.sha256(data).hexdigest(), FillsTheDisk()
        )
    line = str(failed.value)
    assert f"Not enough free space in {small_disk}" in line and "\n" not in line
    assert not (small_disk / "m.onnx").exists()


def _free_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
