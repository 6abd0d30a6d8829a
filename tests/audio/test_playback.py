"""Player: what reaches a real (null-sink) speaker, clearing, counters, resampling and the real-time sink."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pytest

from desktop_assistant.audio.devices import find_device
from desktop_assistant.audio.playback import PlaybackReport, Player
from desktop_assistant.errors import AudioDeviceError
from tests.audio.pulse import PulseServer, sounding, tone, tone_runs

SOURCE = 24_000
LOW, MID, HIGH = 400.0, 800.0, 1200.0
FREQS = (LOW, MID, HIGH)
# One 20 ms analysis frame either side of an edge.
EDGE_S = 0.025

MakePlayer = Callable[..., Player]
T = TypeVar("T")
TRIES = 3


def settle(player: Player) -> None:
    """Play a quarter second of silence, so all audio before it has passed through to the monitor."""
    tag = f"settle-{uuid.uuid4()}"
    player.enqueue(np.zeros(SOURCE // 4, np.float32), tag)
    assert player.wait_drained(tag, 10)


def hear(
    pulse: PulseServer, player: Player, scenario: Callable[[str], T]
) -> tuple[npt.NDArray[np.float32], T]:
    """Run ``scenario(tag_prefix)`` while recording the monitor; return the recording and its result.

    An underrun is an audible gap the device reports when the machine is overloaded, not a fault of the
    code under test, so a take with one is repeated (a few times at most).
    """
    for attempt in range(TRIES):
        before = player.underruns
        recording = pulse.record()
        result = scenario(f"take{attempt}-{uuid.uuid4()}-")
        settle(player)
        heard = recording.stop()
        if player.underruns == before:
            return heard, result
    pytest.fail(f"the device underran in each of {TRIES} takes: this machine is too busy", pytrace=False)


def test_a_tone_reaches_the_speaker_at_its_pitch_and_length(pulse: PulseServer, speaker: Player) -> None:
    def scenario(tag: str) -> tuple[str, float]:
        enqueued_at = time.perf_counter()
        speaker.enqueue(tone(MID, 0.5, SOURCE), tag)
        assert speaker.wait_drained(tag, 10)
        return tag, enqueued_at

    heard, (tag, enqueued_at) = hear(pulse, speaker, scenario)
    runs = sounding(tone_runs(heard, 48_000, FREQS))

    assert [f for f, _ in runs] == [MID]
    assert runs[0][1] == pytest.approx(0.5, abs=EDGE_S)
    assert float(np.max(np.abs(heard))) == pytest.approx(0.5, abs=0.02)
    assert speaker.device_rate == SOURCE
    assert speaker.played_s(tag) == pytest.approx(0.5)
    first = speaker.first_sound_at(tag)
    assert first is not None and first >= enqueued_at


def test_two_chunks_play_back_to_back_without_a_gap(pulse: PulseServer, speaker: Player) -> None:
    def scenario(tag: str) -> str:
        speaker.enqueue(tone(LOW, 0.3, SOURCE), tag)
        speaker.enqueue(tone(HIGH, 0.3, SOURCE), tag)
        assert speaker.wait_drained(tag, 10)
        return tag

    heard, tag = hear(pulse, speaker, scenario)
    runs = sounding(tone_runs(heard, 48_000, FREQS))

    assert [f for f, _ in runs] == [LOW, HIGH]
    assert runs[0][1] == pytest.approx(0.3, abs=EDGE_S)
    assert runs[1][1] == pytest.approx(0.3, abs=EDGE_S)
    assert speaker.played_s(tag) == pytest.approx(0.6)


def test_clear_cuts_the_reply_and_the_next_one_plays_at_once(pulse: PulseServer, speaker: Player) -> None:
    def scenario(tag: str) -> tuple[str, PlaybackReport]:
        speaker.enqueue(tone(LOW, 0.4, SOURCE), tag + "lead")
        speaker.enqueue(tone(MID, 3.0, SOURCE), tag + "long")
        speaker.enqueue(tone(MID, 3.0, SOURCE), tag + "long")
        assert speaker.wait_drained(tag + "lead", 10)
        report = speaker.clear()
        speaker.enqueue(tone(HIGH, 0.3, SOURCE), tag + "next")
        assert speaker.wait_drained(tag + "next", 10)
        return tag, report

    heard, (tag, report) = hear(pulse, speaker, scenario)
    runs = sounding(tone_runs(heard, 48_000, FREQS))

    assert report.interrupted
    # The latest tag's audio handed to the device before the clear: a few blocks of its 6 s.
    assert report.played_s == speaker.played_s(tag + "long") < 0.5
    assert not speaker.wait_drained(tag + "long", 0.1)
    assert sum(seconds for f, seconds in runs if f == MID) <= report.played_s + EDGE_S
    assert [f for f, _ in runs if f not in (MID, 0.0)] == [LOW, HIGH]
    # Between the cut reply and the next one: at most the few blocks already handed over, and a block.
    assert sum(seconds for f, seconds in runs[1:-1]) < 0.2
    assert runs[-1][0] == HIGH
    assert runs[-1][1] == pytest.approx(0.3, abs=EDGE_S)


def test_after_clear_the_speaker_is_silent(pulse: PulseServer, speaker: Player) -> None:
    def scenario(tag: str) -> tuple[str, PlaybackReport]:
        speaker.enqueue(tone(MID, 3.0, SOURCE), tag)
        return tag, speaker.clear()

    heard, (tag, report) = hear(pulse, speaker, scenario)

    assert report.interrupted
    # Only what was already handed to the device plays out: after it the recording is digital silence.
    cut_off = int((report.played_s + 0.1) * 48_000)
    assert len(heard) > cut_off
    assert float(np.max(np.abs(heard[cut_off:]))) < 1e-4
    assert speaker.played_s(tag) == report.played_s


def test_clear_with_nothing_queued_reports_no_interruption(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    player.enqueue(tone(MID, 0.1, SOURCE), "t1")
    assert player.wait_drained("t1", 5)
    report = player.clear()
    assert not report.interrupted
    assert report.played_s == pytest.approx(0.1)
    assert player.wait_drained("t1", 0.1)


def test_a_forced_device_rate_resamples_to_the_same_pitch_and_length(
    pulse: PulseServer, make_player: MakePlayer
) -> None:
    player = make_player(source_rate=SOURCE, device_rate=48_000)

    def scenario(tag: str) -> str:
        player.enqueue(tone(LOW, 0.4, SOURCE), tag)
        assert player.wait_drained(tag, 10)
        return tag

    heard, tag = hear(pulse, player, scenario)
    runs = sounding(tone_runs(heard, 48_000, (LOW, 2 * LOW)))

    # Without resampling the 24 kHz tone would play twice as high and half as long.
    assert player.device_rate == 48_000
    assert [f for f, _ in runs] == [LOW]
    assert runs[0][1] == pytest.approx(0.4, abs=EDGE_S)
    assert player.played_s(tag) == pytest.approx(0.4)


def test_the_realtime_sink_plays_at_the_real_time_rate(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    start = time.perf_counter()
    player.enqueue(tone(MID, 0.5, SOURCE), "t1")
    assert player.wait_drained("t1", 5)
    elapsed = time.perf_counter() - start
    # A functional check, not a speed goal: neither instant nor stalled.
    assert 0.4 < elapsed < 2.0
    assert player.played_s("t1") == pytest.approx(0.5)


def test_first_sound_skips_leading_silence(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    start = time.perf_counter()
    player.enqueue(np.concatenate([np.zeros(int(0.3 * SOURCE), np.float32), tone(MID, 0.1, SOURCE)]), "t1")
    assert player.first_sound_at("t1") is None
    assert player.wait_drained("t1", 5)
    first = player.first_sound_at("t1")
    # The sink hands over one 20 ms block per 20 ms, so the sample at 0.3 s cannot go before ~0.28 s.
    assert first is not None and first - start >= 0.28
    assert player.first_sound_at("never") is None


def test_counters_of_a_tag_never_enqueued(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True, device_rate=48_000)
    assert player.wait_drained("nothing", 0.0)
    assert player.played_s("nothing") == 0.0
    player.enqueue(tone(MID, 0.1, SOURCE), "t1")
    assert player.wait_drained("t1", 5)
    assert player.played_s("t1") == pytest.approx(0.1)


class Reports:
    """Collects ``finish`` reports with the thread each arrived on."""

    def __init__(self) -> None:
        self.got: list[tuple[PlaybackReport, str, float]] = []
        self.arrived = threading.Event()

    def __call__(self, report: PlaybackReport) -> None:
        self.got.append((report, threading.current_thread().name, time.perf_counter()))
        self.arrived.set()


def test_finish_reports_once_the_tag_has_played_out(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    reports = Reports()
    start = time.perf_counter()
    player.enqueue(tone(MID, 0.3, SOURCE), "t1")
    player.enqueue(tone(LOW, 0.2, SOURCE), "t1")
    player.finish("t1", reports)
    assert reports.arrived.wait(5)
    ((report, thread, at),) = reports.got
    assert report == PlaybackReport(pytest.approx(0.5), interrupted=False, error=None)
    assert thread == "playback-reports"  # never on the device's thread
    assert at - start >= 0.45  # not before the last block was handed over


def test_finish_after_everything_played_reports_at_once(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    player.enqueue(tone(MID, 0.1, SOURCE), "t1")
    assert player.wait_drained("t1", 5)
    reports = Reports()
    player.finish("t1", reports)
    player.finish("never-enqueued", reports)
    assert reports.arrived.wait(5)
    deadline = time.perf_counter() + 5
    while len(reports.got) < 2 and time.perf_counter() < deadline:
        reports.arrived.wait(0.05)
    assert [r for r, _, _ in reports.got] == [
        PlaybackReport(pytest.approx(0.1), interrupted=False),
        PlaybackReport(0.0, interrupted=False),
    ]


def test_a_cleared_tag_is_reported_cut_with_what_played(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    reports = Reports()
    player.enqueue(tone(MID, 3.0, SOURCE), "t1")
    player.finish("t1", reports)
    time.sleep(0.3)
    cleared = player.clear()
    assert reports.arrived.wait(5)
    ((report, _, _),) = reports.got
    assert report.interrupted and report.error is None
    assert report.played_s == cleared.played_s == player.played_s("t1")
    assert 0.2 < report.played_s < 1.0


def test_closing_reports_what_was_left_as_cut() -> None:
    player = Player(source_rate=SOURCE, realtime_sink=True)
    player.start()
    reports = Reports()
    player.enqueue(tone(MID, 5.0, SOURCE), "t1")
    player.finish("t1", reports)
    player.close()
    ((report, _, _),) = reports.got  # delivered before close() returned
    assert report.interrupted and report.played_s < 1.0


def test_wait_drained_times_out_while_audio_is_still_playing(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    player.enqueue(tone(MID, 2.0, SOURCE), "t1")
    assert not player.wait_drained("t1", 0.05)
    player.clear()


def test_close_wakes_waiters_and_enqueue_needs_start() -> None:
    player = Player(source_rate=SOURCE, realtime_sink=True)
    with pytest.raises(RuntimeError, match="start"):
        player.enqueue(tone(MID, 0.1, SOURCE), "t1")
    player.start()
    player.start()
    player.enqueue(tone(MID, 5.0, SOURCE), "t1")
    player.close()
    assert not player.wait_drained("t1", 1.0)
    with pytest.raises(RuntimeError, match="start"):
        player.enqueue(tone(MID, 0.1, SOURCE), "t1")


def test_stereo_input_is_refused(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    with pytest.raises(ValueError, match="mono"):
        player.enqueue(np.zeros((100, 2), np.float32), "t1")


def test_a_speaker_that_is_not_there_is_one_clear_error(pulse: PulseServer) -> None:
    player = Player(device="no-such-speaker")
    with pytest.raises(AudioDeviceError) as caught:
        player.start()
    assert caught.value.line() == (
        "No speaker named 'no-such-speaker'. Set audio.output_device to one of: pulse, default."
    )


def test_devices_are_found_by_part_of_their_name(pulse: PulseServer) -> None:
    import sounddevice

    names = {kind: [d["name"] for d in sounddevice.query_devices()] for kind in ("input", "output")}
    assert names["output"][find_device("PULS", "output")] == "pulse"
    assert names["input"][find_device("efaul", "input")] == "default"
    assert find_device("", "output") == sounddevice.query_devices(kind="output")["index"]


def test_a_speaker_that_vanishes_is_reported(pulse: PulseServer) -> None:
    doomed = PulseServer()
    doomed.start()
    player = Player(source_rate=SOURCE)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PULSE_SERVER", doomed.env["PULSE_SERVER"])
            player.start()
        player.enqueue(tone(MID, 5.0, SOURCE), "t1")
        reports = Reports()
        player.finish("t1", reports)
        doomed.stop()
        assert not player.wait_drained("t1", 5)
        assert player.error is not None
        assert reports.arrived.wait(5)
        ((report, _, _),) = reports.got
        assert report.interrupted and report.error is player.error and report.played_s < 5.0
        assert player.error.line() == (
            "The speaker stopped. Check that it is still connected, then restart the assistant."
        )
        with pytest.raises(AudioDeviceError):
            player.enqueue(tone(MID, 0.1, SOURCE), "t2")
    finally:
        player.close()
        doomed.stop()


def test_no_sound_device_at_all_is_one_clear_error(tmp_path: Path) -> None:
    # A fresh process pointed at no sound server sees no device, unless this machine has a sound card.
    code = (
        "import sounddevice\n"
        "if sounddevice.query_devices(): print('HAS-DEVICES'); raise SystemExit\n"
        "from desktop_assistant.audio.playback import Player\n"
        "from desktop_assistant.errors import AudioDeviceError\n"
        "try:\n"
        "    Player().start()\n"
        "except AudioDeviceError as exc:\n"
        "    print(exc.line())\n"
    )
    client_conf = tmp_path / "client.conf"
    client_conf.write_text("autospawn = no\n")
    env = {
        **os.environ,
        "PULSE_SERVER": f"unix:{tmp_path}/none",
        "PULSE_CLIENTCONFIG": str(client_conf),
        "PULSE_COOKIE": str(tmp_path / "cookie"),
        "PULSE_RUNTIME_PATH": str(tmp_path / "runtime"),
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    if done.stdout.strip() == "HAS-DEVICES":
        pytest.skip("this machine has a sound card outside PulseAudio")
    assert done.stdout.strip() == (
        "No speaker found. Connect a speaker, "
        "or check that the sound server (PulseAudio or PipeWire) is running."
    )


def test_silent_since_tells_when_a_cut_reply_stopped_reaching_the_device(make_player: MakePlayer) -> None:
    player = make_player(source_rate=SOURCE, realtime_sink=True)
    player.enqueue(tone(MID, 2.0, SOURCE), "t1")
    assert player.wait_drained("t1", 0.3) is False  # still playing
    pressed = time.perf_counter()
    assert player.silent_since(pressed) is None
    player.clear()
    deadline = time.perf_counter() + 1.0
    while (silent := player.silent_since(pressed)) is None and time.perf_counter() < deadline:
        time.sleep(0.005)
    assert silent is not None and pressed <= silent < pressed + 0.5
    assert player.silent_since(silent + 1.0) is None  # asked about a later moment: not known yet
