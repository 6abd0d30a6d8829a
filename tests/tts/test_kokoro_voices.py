"""The voices of a Kokoro voices file, and speaking with another voice and speed for a preview."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.errors import ModelFileError
from desktop_assistant.tts.kokoro import KokoroSynthesizer, voice_names
from tests.models_home import english_voices

SENTENCE = "One two three four five six seven eight."


def test_voice_names_are_read_without_the_model() -> None:
    names = voice_names(english_voices())
    assert names == sorted(names)
    assert {"af_heart", "am_michael", "bf_emma"} <= set(names)


def test_a_file_that_is_not_a_voices_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "voices.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(ModelFileError, match=r"Cannot read the voices in voices\.npz"):
        voice_names(bad)


@pytest.mark.model
def test_a_preview_voice_and_speed_leave_the_settings_alone(synthesizer: KokoroSynthesizer) -> None:
    normal = synthesizer.synthesize(SENTENCE)
    other = synthesizer.synthesize_with(SENTENCE, "am_michael", 1.5)
    assert len(other) < 0.85 * len(normal)
    again = synthesizer.synthesize(SENTENCE)
    assert len(again) == len(normal)
    assert np.allclose(again, normal, atol=1e-3)
    with pytest.raises(ModelFileError, match="Voice 'zz_nobody' is not in the voices file"):
        synthesizer.synthesize_with(SENTENCE, "zz_nobody", 1.0)
