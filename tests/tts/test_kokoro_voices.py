"""The voices of a Kokoro voices file, and speaking with another voice and speed for a preview."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.errors import ModelFileError
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.tts.kokoro import KokoroSynthesizer, voice_names
from tests.models_home import packaged_voices, voices_file

SENTENCE = "One two three four five six seven eight."
# Voices each file is known to hold, and how many it holds: the English set from shared/, the packaged one.
KNOWN_VOICES = {
    "voices-v1.0.npz": ({"af_heart", "am_michael", "bf_emma"}, 54),
    "voices_ja.npz": ({"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"}, 5),
}


@pytest.mark.parametrize("voices", [voices_file(), packaged_voices()], ids=["in-use", "packaged"])
def test_voice_names_are_read_without_the_model(voices: Path) -> None:
    """The voices file in use (English from shared/, else the packaged one) and the packaged one."""
    names = voice_names(voices)
    assert names == sorted(names)
    some, count = KNOWN_VOICES[voices.name]
    assert some <= set(names) and len(names) == count


def test_a_file_that_is_not_a_voices_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "voices.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(ModelFileError, match=r"Cannot read the voices in voices\.npz"):
        voice_names(bad)


@pytest.mark.model
def test_a_preview_voice_and_speed_leave_the_settings_alone(
    synthesizer: KokoroSynthesizer, tts_settings: TtsSettings, library: ModelLibrary
) -> None:
    _model, voices = library.kokoro_files(tts_settings)
    another = next(name for name in voice_names(voices) if name != tts_settings.voice)
    normal = synthesizer.synthesize(SENTENCE)
    other_voice = synthesizer.synthesize_with(SENTENCE, another, 1.0)
    other = synthesizer.synthesize_with(SENTENCE, another, 1.5)
    # The speed is measured against the same voice: voices differ in pace (jf_gongitsune is 36 % slower
    # than jf_alpha), and 1.5 takes 0.57-0.66 of the time at 1.0 for every voice tried.
    assert len(other) < 0.85 * len(other_voice)
    assert len(other_voice) != len(normal) or not np.allclose(other_voice, normal, atol=1e-3)
    again = synthesizer.synthesize(SENTENCE)
    assert len(again) == len(normal)
    assert np.allclose(again, normal, atol=1e-3)
    with pytest.raises(ModelFileError, match="Voice 'zz_nobody' is not in the voices file"):
        synthesizer.synthesize_with(SENTENCE, "zz_nobody", 1.0)
