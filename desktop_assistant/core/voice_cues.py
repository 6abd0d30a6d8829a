"""Voice cues: how a spoken question sounded, as a short note the model reads beside the words.

Each spoken turn's measures (``audio/prosody.py``) are judged against a running baseline of this user's
voice: an exponentially weighted mean and spread per measure, kept across turns and restarts in a small
JSON file in the data folder. Until the baseline has ``BASELINE_TURNS`` turns, typical adult speech
stands in (``TYPICAL``); the pitch is not judged at all until then, since adult voices span 85-255 Hz.
A rise at the end is judged against a flat ending: statements fall, and a clear rise is what a listener
notices. Only clearly unusual values become words, e.g. "(spoken quickly and loudly, rising at the end)";
ordinary speech gets no note. Typed questions never have one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.prosody import measure

log = logging.getLogger(__name__)

BASELINE_NAME = "voice-baseline.json"
# The baseline speaks for the user once it has heard this many turns.
BASELINE_TURNS = 5
# Each turn's weight in the running mean and spread (about the last ten turns count).
WEIGHT = 0.2
# A value this many spreads from the mean is clearly unusual.
UNUSUAL_Z = 2.0
# A pitch that climbs this fast over the last words (semitones per second) is a rise at the end:
# between five and six semitones over the last 0.7 s; statements fall by a few semitones per second,
# and the last syllable of one said slowly may climb a little.
RISE_ST_S = 8.0
# Pitch is kept in semitones above this reference, so its spread reads the same for any voice.
PITCH_REFERENCE_HZ = 100.0


@dataclass(frozen=True)
class Typical:
    """Typical adult speech for one measure: a mean and a spread; ``floor`` is the least spread the
    baseline is trusted with (a user who always speaks alike is not "unusual" for a tiny change)."""

    mean: float
    spread: float
    floor: float


# Words per second of speaking time, the pauses left out (adults say about 2.5-3 words a second over a
# whole talk, pauses included, and 3-5 between pauses: a short question of short words runs near 5),
# and the loudness of speech on a desktop microphone (-30 to -10 dBFS RMS between a quiet voice far
# away and a close, loud one). Pitch has no stand-in; its floor is two semitones. The slope is kept
# for the record but judged against a flat ending (``RISE_ST_S``).
TYPICAL = {
    "rate": Typical(4.0, 0.8, 0.5),
    "loudness": Typical(-20.0, 5.0, 3.0),
    "pitch": Typical(math.nan, 2.0, 2.0),
    "slope": Typical(-6.0, 5.0, 3.0),
}


@dataclass(frozen=True)
class Question:
    """What the user asked: the words, and for a spoken question the note on how it sounded (``cues``,
    "" for none) with the measures behind it. Two questions are the same when words and note are."""

    text: str
    cues: str = ""
    measures: dict[str, float | None] = field(default_factory=dict, compare=False)

    @property
    def message(self) -> str:
        """The user message the model gets: the words, then the note."""
        return f"{self.text} {self.cues}" if self.cues else self.text


@dataclass
class Running:
    """An exponentially weighted mean and variance of one measure."""

    mean: float
    variance: float

    def add(self, value: float) -> None:
        """Weigh ``value`` in."""
        delta = value - self.mean
        self.mean += WEIGHT * delta
        self.variance = (1 - WEIGHT) * (self.variance + WEIGHT * delta * delta)


class VoiceBaseline:
    """The user's usual voice, kept in ``path`` (written whole, atomically, after each turn)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.turns = 0
        self.measures: dict[str, Running] = {}
        self._warned = False
        self._load()

    def usual(self, name: str) -> tuple[float, float] | None:
        """The mean and spread ``name`` is judged against: the user's own once the baseline has
        ``BASELINE_TURNS`` turns, typical speech before (None: not judged yet)."""
        typical = TYPICAL[name]
        running = self.measures.get(name)
        if self.turns >= BASELINE_TURNS and running is not None:
            return running.mean, max(math.sqrt(running.variance), typical.floor)
        return None if math.isnan(typical.mean) else (typical.mean, typical.spread)

    def learn(self, values: dict[str, float]) -> None:
        """One more turn's values; the file is rewritten."""
        for name, value in values.items():
            running = self.measures.get(name)
            if running is None:
                self.measures[name] = Running(value, TYPICAL[name].spread ** 2)
            else:
                running.add(value)
        self.turns += 1
        self._save()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            turns = int(data["turns"])
            measures = {
                name: Running(float(kept["mean"]), float(kept["variance"]))
                for name, kept in data["measures"].items()
                if name in TYPICAL
            }
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("The voice baseline %s is unreadable (%s); starting a new one", self.path, exc)
            return
        self.turns, self.measures = max(turns, 0), measures

    def _save(self) -> None:
        data: dict[str, Any] = {
            "turns": self.turns,
            "measures": {name: vars(running) for name, running in self.measures.items()},
        }
        temp: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".voice-", suffix=".tmp", dir=self.path.parent)
            temp = Path(name)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temp, self.path)
        except OSError as exc:
            if temp is not None:
                temp.unlink(missing_ok=True)
            if not self._warned:  # once: an unwritable folder would otherwise log every turn
                log.warning("Cannot keep the voice baseline in %s: %s", self.path, exc)
                self._warned = True


class VoiceCues:
    """Turns each spoken question's audio into its ``Question``, and learns the user's voice from it."""

    def __init__(self, baseline: VoiceBaseline, aggressiveness: int = 2) -> None:
        self.baseline = baseline
        self._aggressiveness = aggressiveness

    @classmethod
    def in_folder(cls, data_dir: Path, aggressiveness: int = 2) -> VoiceCues:
        """Cues over the baseline kept in the data folder ``data_dir``."""
        return cls(VoiceBaseline(data_dir / BASELINE_NAME), aggressiveness)

    def question(self, text: str, audio: npt.NDArray[np.float32]) -> Question:
        """``text`` with the note on how ``audio`` (its utterance, 16 kHz) sounded."""
        prosody = measure(audio, text, self._aggressiveness)
        if prosody is None:
            return Question(text)
        measures = prosody.as_dict()
        return Question(text, self.hint(measures), measures)

    def hint(self, measures: dict[str, float | None]) -> str:
        """The note for ``measures`` (``Prosody.as_dict``): the clearly unusual ones in words; "" when
        nothing stands out."""
        values = _judged(measures)
        manner = [
            word
            for name, (low, high) in (("rate", ("slowly", "quickly")), ("loudness", ("quietly", "loudly")))
            if (word := self._unusual(name, values, low, high))
        ]
        parts = [f"spoken {' and '.join(manner)}"] if manner else []
        voice = self._unusual("pitch", values, "in a lower voice than usual", "in a higher voice than usual")
        if voice:
            parts.append(voice if parts else f"spoken {voice}")
        if values.get("slope", -math.inf) >= RISE_ST_S:
            parts.append("rising at the end" if parts else "spoken with a rise at the end")
        return f"({', '.join(parts)})" if parts else ""

    def learn(self, question: Question) -> None:
        """Add a heard question's measures to the baseline (one without any leaves it as it is)."""
        values = _judged(question.measures)
        if values:
            self.baseline.learn(values)

    def _unusual(self, name: str, values: dict[str, float], low: str, high: str) -> str:
        value, usual = values.get(name), self.baseline.usual(name)
        if value is None or usual is None:
            return ""
        mean, spread = usual
        z = (value - mean) / spread
        return high if z >= UNUSUAL_Z else low if z <= -UNUSUAL_Z else ""


def _judged(measures: dict[str, float | None]) -> dict[str, float]:
    """The judged measures by name, from ``Prosody.as_dict`` values (pitch in semitones), those there."""
    pitch = measures.get("pitch_hz")
    values = {
        "rate": measures.get("words_per_s"),
        "loudness": measures.get("loudness_dbfs"),
        "pitch": 12 * math.log2(pitch / PITCH_REFERENCE_HZ) if pitch else None,
        "slope": measures.get("end_slope_st_s"),
    }
    return {name: value for name, value in values.items() if value is not None}
