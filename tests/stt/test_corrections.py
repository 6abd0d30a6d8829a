"""The correction table on text: fuzzy whole-word matches, casing, punctuation, and its settings."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from desktop_assistant.config.settings import SttSettings
from desktop_assistant.errors import ConfigError
from desktop_assistant.stt.base import Transcript
from desktop_assistant.stt.corrections import CorrectedTranscriber, Correction, CorrectionTable

ENTRIES = ("comfy eye=ComfyUI", "met for men=Metformin", "cube control=kubectl")


def table(*entries: str, threshold: float = 85) -> CorrectionTable:
    return CorrectionTable([Correction.parse(entry) for entry in entries or ENTRIES], threshold)


def test_ordinary_text_is_left_alone() -> None:
    text = "Please open the terminal, then take two tablets with water. Thanks!"
    assert table().apply(text) == text
    assert CorrectionTable([], 85).apply(text) == text


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("Start comfy eye now.", "Start ComfyUI now."),
        ("Start Comfy Eye now.", "Start ComfyUI now."),
        ("Start comfy-eye now.", "Start ComfyUI now."),
        # One word fewer or more than the heard side.
        ("Start comfyeye now.", "Start ComfyUI now."),
        ("Take met for men daily.", "Take Metformin daily."),
        ("Take met four men daily.", "Take Metformin daily."),
    ],
)
def test_close_runs_of_words_become_the_meant_form(heard: str, meant: str) -> None:
    assert table().apply(heard) == meant


def test_the_threshold_decides_how_close_is_close_enough() -> None:
    # "met four men" scores 94.7 against "met for men": replaced at 85 and 94, kept at 95 and above.
    heard = "Take met four men daily."
    assert table(threshold=94).apply(heard) == "Take Metformin daily."
    assert table(threshold=95).apply(heard) == heard
    assert table(threshold=100).apply("Take met for men daily.") == "Take Metformin daily."
    assert table(threshold=100).apply(heard) == heard


def test_several_entries_in_one_transcript_keep_the_punctuation_around_them() -> None:
    heard = '"Comfy eye", met for men; and (cube control)! Cube control? comfy eye...'
    assert table().apply(heard) == '"ComfyUI", Metformin; and (kubectl)! Kubectl? ComfyUI...'


def test_the_meant_casing_wins_except_a_capital_that_starts_a_sentence() -> None:
    assert table().apply("Cube control apply. Then Cube Control get.") == "Kubectl apply. Then kubectl get."
    assert table().apply("cube control apply") == "kubectl apply"
    assert table().apply("Comfy eye is open.") == "ComfyUI is open."


def test_only_whole_words_match() -> None:
    # A word containing the heard side is not it: no "hotWords", no "ComfyUIs".
    assert table("word=Word").apply("The hotwords work.") == "The hotwords work."
    assert table("eye=AI").apply("Eyeliner and an eye.") == "Eyeliner and an AI."
    # "comfy eyes" is one letter from "comfy eye" (94): the score replaces both whole words, at 95 neither.
    assert table().apply("Two comfy eyes.") == "Two ComfyUI."
    assert table(threshold=95).apply("Two comfy eyes.") == "Two comfy eyes."


def test_a_match_never_spans_a_clause_boundary() -> None:
    assert table().apply("It was comfy. Eye drops help.") == "It was comfy. Eye drops help."
    assert table().apply("Met, for men") == "Met, for men"


def test_the_best_match_wins_where_two_overlap() -> None:
    # "open zorb" scores 87.5 against "opun zorb", "zorb letics" 100 against itself: the later one wins.
    assert table("opun zorb=Zeta", "zorb letics=Zorblatix").apply("open zorb letics") == "open Zorblatix"
    # Two exact matches share "cube": the earlier one wins, and "controller" alone is not close enough (83).
    corrections = table("cube controller=kubectl", "controller cube=Flux")
    assert corrections.apply("my controller cube controller") == "my Flux controller"


def test_the_table_comes_from_the_settings_strings() -> None:
    settings = SttSettings(corrections=ENTRIES, correction_threshold=95)
    corrections = CorrectionTable.from_settings(settings)
    assert corrections.apply("Take met four men, comfy eye.") == "Take met four men, ComfyUI."
    assert Correction.parse("  comfy eye = ComfyUI ") == Correction("comfy eye", "ComfyUI")
    assert Correction.parse("a=b=c") == Correction("a", "b=c")
    assert SttSettings().correction_threshold == 85
    assert CorrectionTable.from_settings(SttSettings()).apply("Take met for men.") == "Take met for men."


@pytest.mark.parametrize(
    ("item", "line"),
    [
        ("comfy eye", "The correction 'comfy eye' has no '='"),
        ("=ComfyUI", "The correction '=ComfyUI' has no words before '='"),
        ("...=ComfyUI", "The correction '...=ComfyUI' has no words before '='"),
        ("comfy eye= ", "The correction 'comfy eye= ' has nothing after '='"),
    ],
)
def test_an_item_without_both_sides_is_one_clear_line(item: str, line: str) -> None:
    hint = "Write each as heard=meant, e.g. 'comfy eye=ComfyUI', in stt.corrections."
    with pytest.raises(ConfigError) as caught:
        Correction.parse(item)
    assert caught.value.line() == f"{line}. {hint}"


class Saying:
    """A transcriber that hears the same words every time."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        return Transcript(self.text, "en", len(audio) / 16_000)


def test_the_corrected_transcriber_corrects_every_transcript() -> None:
    stt = CorrectedTranscriber(Saying("Open comfy eye."), table())
    assert stt.transcribe(np.zeros(8_000, np.float32)) == Transcript("Open ComfyUI.", "en", 0.5)
