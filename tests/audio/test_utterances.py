"""Utterances on the real Microphone over a real-time clip: presses, releases and failures on a timeline.

Every clip is a ramp, so each assertion names the exact stretch of the stream an utterance holds. Times
are points in the stream (its samples), not the wall clock: a press "at 2.05 s" happens once the clip
has played 2.05 s past the first press. A press keeps the stream still while ``begin()`` runs, and a
release holds new blocks back until ``end()`` has taken what arrived, so the preroll must end exactly at
the press and the tail must start exactly at the release.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from desktop_assistant.audio import capture
from desktop_assistant.audio.capture import CaptureInterrupted, Microphone, Utterance
from desktop_assistant.errors import AudioDeviceError
from tests.audio.streams import PREROLL, RATE, TAIL, Release, ScriptedClip, stretch

MakeMicrophone = Callable[..., Microphone]


def press(microphone: Microphone, clip: ScriptedClip, at: int) -> tuple[Utterance, int]:
    """The key goes down once the clip has played to ``at``; returns the utterance and the press position."""
    with clip.still(at) as pressed:
        return microphone.begin(), pressed


def release_point(clip: ScriptedClip, utterance: Utterance, at: int) -> int:
    """Fix where ``utterance``'s release falls (at ``at``); its ``end()`` must come next."""
    return clip.hold_until(lambda: not utterance.recording, at)


def spanning(pressed: int, released: int) -> tuple[int, int]:
    """The stretch an utterance pressed and released at these positions holds: preroll to tail."""
    return pressed - PREROLL + 1, released + TAIL


def live(make_microphone: MakeMicrophone) -> tuple[Microphone, ScriptedClip]:
    clip = ScriptedClip()
    return make_microphone(source=clip), clip


def test_a_press_while_the_last_release_waits_for_its_tail_breaks_nothing(
    make_microphone: MakeMicrophone,
) -> None:
    mic, clip = live(make_microphone)
    first, pressed = press(mic, clip, at=PREROLL)
    released = release_point(clip, first, at=pressed + 3 * RATE)
    ending = Release(first)
    second, pressed_2 = press(mic, clip, at=released + RATE // 50)  # 20 ms after the release
    third, pressed_3 = press(mic, clip, at=pressed_2)  # and at once again

    audio = ending.audio()
    assert pressed_2 < released + TAIL, "the second press came after the first tail: the timeline slipped"
    assert stretch(audio) == spanning(pressed, released)
    assert mic.error is None
    # The ended utterance keeps its audio and takes no more.
    np.testing.assert_array_equal(first.end(), audio)
    np.testing.assert_array_equal(first.snapshot(), audio)

    # Both later utterances start with their own preroll (over the first one's tail) and keep recording.
    now = clip.wait_until(pressed_3 + RATE // 2)
    for utterance, at in ((second, pressed_2), (third, pressed_3)):
        first_sample, last_sample = stretch(utterance.snapshot())
        assert first_sample == at - PREROLL + 1
        assert last_sample >= now
    released_3 = release_point(clip, third, at=now)
    assert stretch(third.end()) == spanning(pressed_3, released_3)
    assert mic.recording
    released_2 = release_point(clip, second, at=released_3 + RATE // 4)
    assert stretch(second.end()) == spanning(pressed_2, released_2)
    assert not mic.recording


@pytest.mark.parametrize(("second_press_s", "during_tail"), [(2.05, True), (2.3, False)])
def test_press_release_press_then_a_third_turn(
    make_microphone: MakeMicrophone, second_press_s: float, during_tail: bool
) -> None:
    mic, clip = live(make_microphone)
    first, pressed = press(mic, clip, at=PREROLL)
    released = release_point(clip, first, at=pressed + 2 * RATE)
    ending = Release(first)
    second, pressed_2 = press(mic, clip, at=pressed + int(second_press_s * RATE))

    audio = ending.audio()
    assert (pressed_2 < released + TAIL) == during_tail, "the timeline slipped"
    assert stretch(audio) == spanning(pressed, released)
    # The second press's preroll repeats the end of the first turn.
    assert pressed_2 - PREROLL + 1 <= released + TAIL

    released_2 = release_point(clip, second, at=pressed_2 + RATE)
    assert stretch(second.end()) == spanning(pressed_2, released_2)

    third, pressed_3 = press(mic, clip, at=released_2 + RATE // 2)
    released_3 = release_point(clip, third, at=pressed_3 + RATE // 2)
    assert stretch(third.end()) == spanning(pressed_3, released_3)
    assert mic.error is None and not mic.recording


def test_preroll_and_tail_are_exact_when_blocks_do_not_divide_them(make_microphone: MakeMicrophone) -> None:
    clip = ScriptedClip(block_ms=30)  # 480 samples: neither 6400 nor 1600 is a whole number of blocks
    mic = make_microphone(source=clip)
    turn, pressed = press(mic, clip, at=2 * PREROLL)
    released = release_point(clip, turn, at=pressed + RATE // 2)
    assert stretch(turn.end()) == spanning(pressed, released)


def test_a_late_end_of_an_old_utterance_leaves_the_new_one_recording(
    make_microphone: MakeMicrophone,
) -> None:
    mic, clip = live(make_microphone)
    old, pressed = press(mic, clip, at=PREROLL)
    new, pressed_new = press(mic, clip, at=pressed + RATE)  # the old turn's end() has not come yet
    released = release_point(clip, old, at=pressed_new + RATE // 2)

    late = old.end()
    assert stretch(late) == spanning(pressed, released)
    assert new.recording and mic.recording

    now = clip.wait_until(released + TAIL + RATE // 2)
    first_sample, last_sample = stretch(new.snapshot())
    assert first_sample == pressed_new - PREROLL + 1
    assert last_sample >= now
    np.testing.assert_array_equal(old.snapshot(), late)
    released_new = release_point(clip, new, at=now)
    assert stretch(new.end()) == spanning(pressed_new, released_new)


def test_a_discarded_utterance_stops_at_once_and_frees_a_waiting_end(
    make_microphone: MakeMicrophone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "STALL_S", 60.0)  # only discard() can end the wait below
    mic, clip = live(make_microphone)
    cancelled, pressed = press(mic, clip, at=PREROLL)
    quiet = clip.wait_until(pressed + RATE // 2)
    assert clip.pause() == quiet  # so the tail can never arrive
    ending = Release(cancelled)
    cancelled.discard()
    assert stretch(ending.audio()) == (pressed - PREROLL + 1, quiet)
    assert not mic.recording

    resumed = clip.resume()
    dropped, pressed_2 = press(mic, clip, at=resumed + PREROLL)
    dropped.discard()
    kept = dropped.snapshot()
    assert stretch(kept)[0] == pressed_2 - PREROLL + 1
    clip.wait_until(pressed_2 + RATE // 2)
    np.testing.assert_array_equal(dropped.snapshot(), kept)
    np.testing.assert_array_equal(dropped.end(), kept)

    turn, pressed_3 = press(mic, clip, at=pressed_2 + RATE // 2)
    released_3 = release_point(clip, turn, at=pressed_3 + RATE // 2)
    assert stretch(turn.end()) == spanning(pressed_3, released_3)


def test_a_stall_interrupts_only_the_utterance_waiting_for_its_tail(
    make_microphone: MakeMicrophone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "STALL_S", 0.2)
    mic, clip = live(make_microphone)
    stalled, pressed = press(mic, clip, at=PREROLL)
    clip.wait_until(pressed + RATE // 2)
    quiet = clip.pause()

    with pytest.raises(CaptureInterrupted) as caught:
        stalled.end()
    assert caught.value.line() == "The microphone stopped sending audio. Check that it is still connected."
    assert stretch(caught.value.audio) == (pressed - PREROLL + 1, quiet)
    assert mic.error is None and not mic.recording
    with pytest.raises(CaptureInterrupted) as again:
        stalled.end()
    np.testing.assert_array_equal(again.value.audio, caught.value.audio)

    # Once blocks flow again the next turn is whole: its preroll is all from after the stall.
    resumed = clip.resume()
    turn, pressed_2 = press(mic, clip, at=resumed + PREROLL)
    released_2 = release_point(clip, turn, at=pressed_2 + RATE // 2)
    audio = turn.end()
    assert stretch(audio) == spanning(pressed_2, released_2)
    assert stretch(audio)[0] > resumed


def test_a_source_failure_ends_every_open_utterance_at_once_with_its_audio(
    make_microphone: MakeMicrophone, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "STALL_S", 60.0)  # a stall cannot be what ends the wait below
    mic, clip = live(make_microphone)
    first, pressed = press(mic, clip, at=PREROLL)
    second, pressed_2 = press(mic, clip, at=pressed + RATE // 2)
    clip.wait_until(pressed_2 + RATE // 2)
    quiet = clip.pause()  # the device goes silent, then reports that it stopped
    ending = Release(first)
    clip.fail(AudioDeviceError("The microphone stopped", "Check that it is still connected."))

    with pytest.raises(CaptureInterrupted) as caught:
        ending.audio()
    assert caught.value.line() == "The microphone stopped. Check that it is still connected."
    assert stretch(caught.value.audio) == (pressed - PREROLL + 1, quiet)
    with pytest.raises(CaptureInterrupted) as other:
        second.end()
    assert stretch(other.value.audio) == (pressed_2 - PREROLL + 1, quiet)

    assert mic.error is not None and not mic.recording
    with pytest.raises(AudioDeviceError, match="The microphone stopped"):
        mic.begin()
