"""The first run's microphone test on real devices: what the microphone heard is recorded and played back
on the speaker (PulseAudio's null sink, whose monitor is the default microphone here)."""

from __future__ import annotations

from desktop_assistant.app import Context
from desktop_assistant.audio.playback import Player
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths
from desktop_assistant.ui.first_run_pages import peak_level
from desktop_assistant.ui.settings_services import MIC_RATE, AppSettingsServices, LiveMicrophoneLevel
from tests.audio.pulse import RATE, PulseServer, sounding, tone, tone_runs

HEARD_HZ, OTHER_HZ = 600.0, 1500.0


def test_what_the_microphone_heard_is_played_back_on_the_speaker(
    pulse: PulseServer, speaker: Player, tmp_path
) -> None:
    level = LiveMicrophoneLevel.open("")
    try:
        assert level.record(0.3).size > 0  # the stream is live
        speaker.enqueue(tone(HEARD_HZ, 1.5, 24_000, amplitude=0.3), "said")
        heard = level.record(1.0)
    finally:
        level.close()
    assert peak_level(heard) > 0.8  # -10 dBFS: well above the "heard you" line
    assert max(f for f, _ in tone_runs(heard, MIC_RATE, (HEARD_HZ, OTHER_HZ))) == HEARD_HZ
    assert speaker.wait_drained("said", 5)

    paths = AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(tmp_path / "home")})
    services = AppSettingsServices(Context(paths, Settings()))
    recording = pulse.record()
    try:
        services.play_recording(heard, "")
    finally:
        played = recording.stop()
    runs = sounding(tone_runs(played, RATE, (HEARD_HZ, OTHER_HZ)))
    assert runs and {f for f, _ in runs} <= {HEARD_HZ, 0.0}
    assert sum(s for f, s in runs if f == HEARD_HZ) >= 0.8  # most of the second it heard came back
