"""Microphone: preroll, tail, overruns, level, resampling, failures; then real input from a sink monitor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from desktop_assistant.audio import capture
from desktop_assistant.audio.capture import CaptureInterrupted, Microphone
from desktop_assistant.audio.playback import Player
from desktop_assistant.audio.sources import ClipSource, Fail, Push
from desktop_assistant.errors import AudioDeviceError
from tests.audio.pulse import PulseServer, sounding, tone, tone_runs
from tests.audio.streams import BLOCK, PREROLL, RATE, TAIL, ramp

LOW, HIGH = 400.0, 1200.0

MakeMicrophone = Callable[..., Microphone]


def blocks_of(audio: npt.NDArray[np.float32], size: int = BLOCK) -> list[npt.NDArray[np.float32]]:
    return [audio[i : i + size] for i in range(0, len(audio), size)]


class ScriptedSource:
    """A source the test drives: ``start`` pushes ``blocks`` at once; the test sends more, or a failure."""

    def __init__(
        self,
        blocks: list[npt.NDArray[np.float32]],
        rate: int = RATE,
        overflowed: frozenset[int] = frozenset(),
    ) -> None:
        self._blocks = blocks
        self._rate = rate
        self._overflowed = overflowed
        self.push: Push | None = None
        self.fail: Fail | None = None

    @property
    def rate(self) -> int:
        return self._rate

    def start(self, push: Push, fail: Fail) -> None:
        self.push, self.fail = push, fail
        for index, block in enumerate(self._blocks):
            push(block.copy(), index in self._overflowed)

    def stop(self) -> None:
        self.push = self.fail = None

    def send(self, audio: npt.NDArray[np.float32]) -> None:
        assert self.push is not None
        for block in blocks_of(audio):
            self.push(block.copy(), False)


def test_an_utterance_starts_with_the_last_400_ms_before_begin(make_microphone: MakeMicrophone) -> None:
    before = ramp(30 * BLOCK)
    source = ScriptedSource(blocks_of(before))
    mic = make_microphone(source=source)
    utterance = mic.begin()
    np.testing.assert_array_equal(utterance.snapshot(), before[-PREROLL:])
    after = ramp(3 * BLOCK, first=len(before) + 1)
    source.send(after)
    np.testing.assert_array_equal(utterance.snapshot(), np.concatenate([before[-PREROLL:], after]))


def test_a_preroll_shorter_than_400_ms_holds_all_there_was(make_microphone: MakeMicrophone) -> None:
    before = ramp(5 * BLOCK)
    mic = make_microphone(source=ScriptedSource(blocks_of(before)))
    np.testing.assert_array_equal(mic.begin().snapshot(), before)


def test_end_returns_the_clip_then_a_100_ms_tail(make_microphone: MakeMicrophone) -> None:
    clip = ramp(int(0.3 * RATE))
    source = ClipSource(clip, RATE, realtime=True)
    mic = make_microphone(source=source)
    utterance = mic.begin()
    assert mic.recording and utterance.recording
    assert source.clip_done.wait(5)
    before = utterance.snapshot()
    audio = utterance.end()

    assert not mic.recording and not utterance.recording
    np.testing.assert_array_equal(audio[: len(clip)], clip)
    assert not np.any(audio[len(clip) :])
    np.testing.assert_array_equal(audio[: len(before)], before)
    # Exactly the tail after what had arrived when end() was called, which is at most a block or two
    # more than the snapshot just before it.
    assert TAIL <= len(audio) - len(before) <= TAIL + 2 * BLOCK


def test_a_full_queue_drops_new_blocks_and_counts_every_overrun(make_microphone: MakeMicrophone) -> None:
    capacity = int(capture.QUEUE_S * 1000 / 20)
    audio = ramp((capacity + 10) * BLOCK)
    mic = make_microphone(source=ScriptedSource(blocks_of(audio), overflowed=frozenset({3, 7})))
    utterance = mic.begin()
    # 10 blocks found the queue full, 2 more came flagged by the device.
    assert mic.overruns == 12
    np.testing.assert_array_equal(utterance.snapshot(), audio[capacity * BLOCK - PREROLL : capacity * BLOCK])


def test_level_is_the_rms_of_the_latest_block(make_microphone: MakeMicrophone) -> None:
    blocks = [np.full(BLOCK, 0.1, np.float32), np.full(BLOCK, -0.5, np.float32)]
    mic = make_microphone(source=ScriptedSource(blocks))
    mic.begin()
    assert mic.level == pytest.approx(0.5)


def test_a_source_at_another_rate_is_resampled(make_microphone: MakeMicrophone) -> None:
    heard = tone(1000.0, 0.3, 48_000)
    mic = make_microphone(source=ScriptedSource(blocks_of(heard, 960), rate=48_000))
    audio = mic.begin().snapshot()
    # The streaming resampler holds back a few milliseconds until more audio comes.
    assert 0.3 * RATE - 600 <= len(audio) <= 0.3 * RATE
    assert [f for f, _ in sounding(tone_runs(audio, RATE, (1000.0, 3000.0)))] == [1000.0]


def test_a_source_that_fails_mid_utterance_keeps_the_audio(make_microphone: MakeMicrophone) -> None:
    first = ramp(5 * BLOCK)
    source = ScriptedSource(blocks_of(first))
    mic = make_microphone(source=source)
    utterance = mic.begin()
    more = ramp(3 * BLOCK, first=len(first) + 1)
    source.send(more)
    assert source.fail is not None
    source.fail(AudioDeviceError("The microphone stopped", "Check that it is still connected."))
    with pytest.raises(CaptureInterrupted) as caught:
        utterance.end()

    assert isinstance(caught.value, AudioDeviceError)
    assert caught.value.line() == "The microphone stopped. Check that it is still connected."
    np.testing.assert_array_equal(caught.value.audio, np.concatenate([first, more]))
    assert mic.error is not None and not mic.recording
    with pytest.raises(AudioDeviceError, match="The microphone stopped"):
        mic.begin()
    mic.close()
    mic.start()
    np.testing.assert_array_equal(mic.begin().snapshot(), first)


def test_a_source_that_goes_quiet_mid_utterance_keeps_the_audio(
    make_microphone: MakeMicrophone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "STALL_S", 0.05)
    source = ScriptedSource([])
    mic = make_microphone(source=source)
    utterance = mic.begin()
    spoken = ramp(2 * BLOCK)
    source.send(spoken)
    with pytest.raises(CaptureInterrupted) as caught:
        utterance.end()
    assert caught.value.line() == "The microphone stopped sending audio. Check that it is still connected."
    np.testing.assert_array_equal(caught.value.audio, spoken)
    # A stall ends that utterance only: the microphone has not failed.
    assert mic.error is None
    np.testing.assert_array_equal(mic.begin().snapshot(), spoken)


def test_begin_before_start_is_refused() -> None:
    idle = Microphone(source=ScriptedSource([]))
    with pytest.raises(RuntimeError, match="start"):
        idle.begin()


def test_closing_the_microphone_interrupts_its_open_utterances(make_microphone: MakeMicrophone) -> None:
    spoken = ramp(4 * BLOCK)
    mic = make_microphone(source=ScriptedSource(blocks_of(spoken)))
    utterance = mic.begin()
    mic.close()
    with pytest.raises(CaptureInterrupted) as caught:
        utterance.end()
    assert caught.value.line() == "The microphone was closed. Start it again to record."
    np.testing.assert_array_equal(caught.value.audio, spoken)
    assert mic.error is None and not mic.recording


def test_the_microphone_hears_the_speaker_before_and_after_begin(
    speaker: Player, make_microphone: MakeMicrophone
) -> None:
    mic = make_microphone()
    assert mic.wait_live(10)
    player = speaker
    player.enqueue(tone(LOW, 0.3, 24_000), "before")
    assert player.wait_drained("before", 10)
    utterance = mic.begin()
    player.enqueue(tone(HIGH, 0.3, 24_000), "after")
    assert player.wait_drained("after", 10)
    audio = utterance.end()
    # An underrun on a busy machine can split a tone with a gap; what counts is the order and the total.
    runs = [(f, s) for f, s in tone_runs(audio, RATE, (LOW, HIGH)) if f]
    order = [f for i, (f, _) in enumerate(runs) if i == 0 or runs[i - 1][0] != f]
    seconds = {f: sum(s for g, s in runs if g == f) for f in (LOW, HIGH)}

    assert order == [LOW, HIGH]
    # The tone that ended as the key went down is in the preroll (most of it: the monitor lags a little).
    assert seconds[LOW] >= 0.2
    assert seconds[HIGH] == pytest.approx(0.3, abs=0.025)


def test_a_microphone_that_is_not_there_is_one_clear_error(pulse: PulseServer) -> None:
    mic = Microphone(device="no-such-mic")
    with pytest.raises(AudioDeviceError) as caught:
        mic.start()
    assert (
        caught.value.line()
        == "No microphone named 'no-such-mic'. Set audio.input_device to one of: pulse, default."
    )
    mic.close()


def test_a_microphone_that_vanishes_mid_utterance_keeps_the_audio(pulse: PulseServer) -> None:
    doomed = PulseServer()
    doomed.start()
    mic = Microphone()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PULSE_SERVER", doomed.env["PULSE_SERVER"])
            mic.start()
        assert mic.wait_live(10)
        utterance = mic.begin()
        so_far = utterance.snapshot()
        doomed.stop()
        with pytest.raises(CaptureInterrupted) as caught:
            utterance.end()
        assert caught.value.line().startswith("The microphone stopped")
        assert len(so_far) > 0
        np.testing.assert_array_equal(caught.value.audio[: len(so_far)], so_far)
    finally:
        mic.close()
        doomed.stop()
