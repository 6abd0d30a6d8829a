"""The one settings model: frozen dataclasses per area, their defaults and their validation.

Every field may carry a ``Rule`` in its metadata; validation, the TOML store and ``config set``
all go through ``Settings.from_mapping`` / ``parse_value`` so a bad value reads the same everywhere.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from desktop_assistant.config.item_checks import check_correction, check_pattern, check_phone_region
from desktop_assistant.errors import ConfigError

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Rule:
    """What a field accepts beyond its type: a closed set of choices or a numeric range."""

    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    doc: str = ""
    # A text setting, or each item of a list setting, is passed to it; it raises ConfigError for a bad one.
    item_check: Callable[[str], None] | None = None


def _setting(default: Any, doc: str = "", **rule: Any) -> Any:
    return field(default=default, metadata={"rule": Rule(doc=doc, **rule)})


@dataclass(frozen=True)
class AudioSettings:
    """Microphone, speaker and voice-activity detection."""

    input_device: str = _setting("", "microphone name (empty: the system default)")
    output_device: str = _setting("", "speaker name (empty: the system default)")
    vad_aggressiveness: int = _setting(2, "webrtcvad mode", low=0, high=3)
    speech_padding_ms: int = _setting(300, "silence kept around speech", low=0, high=2000)
    early_reply: bool = _setting(
        True, "start the reply while the key is still held once you pause (heard only after the release)"
    )
    voice_cues: bool = _setting(
        True, "tell the model how a spoken question sounded (fast, loud, rising...) beside its words"
    )


@dataclass(frozen=True)
class SttSettings:
    """Speech to text with faster-whisper."""

    model: str = _setting("tiny.en", "an imported model's name or a CTranslate2 model folder")
    language: str = _setting("en", "language code, or 'auto' to detect it")
    device: str = _setting("auto", "where Whisper runs", choices=("auto", "cpu", "cuda"))
    compute_type: str = _setting(
        "auto",
        "auto: int8 on CPU, float16 on CUDA",
        choices=("auto", "int8", "int8_float32", "int8_float16", "float16", "float32"),
    )
    beam_size: int = _setting(1, "1 is fastest", low=1, high=10)
    cpu_threads: int = _setting(0, "0 lets CTranslate2 choose", low=0, high=256)
    vocabulary: tuple[str, ...] = _setting((), "names and jargon Whisper should favour")
    corrections: tuple[str, ...] = _setting(
        (),
        "heard=meant pairs: words Whisper writes that are replaced by what was meant, e.g. comfy eye=ComfyUI",
        item_check=check_correction,
    )
    correction_threshold: int = _setting(
        85, "how close heard words must be to a correction to be replaced (100: exactly)", low=0, high=100
    )


@dataclass(frozen=True)
class LlmSettings:
    """The model that answers: an Ollama model, or the built-in one run in-process by llama.cpp."""

    backend: str = _setting(
        "auto",
        "who answers: ollama, builtin (a GGUF model in this process), or auto (Ollama when it answers, "
        "else the built-in model)",
        choices=("auto", "ollama", "builtin"),
    )
    builtin_model: str = _setting(
        "", "the built-in model's GGUF file: a path, or an imported one's name (empty: the best imported)"
    )
    builtin_threads: int = _setting(0, "CPU threads the built-in model uses (0: every core)", low=0, high=256)
    host: str = _setting("", "Ollama URL (empty: OLLAMA_HOST, else http://127.0.0.1:11434)")
    model: str = _setting("gemma3:4b", "an Ollama model name; one with vision sees images")
    keep_alive: str = _setting("30m", "how long Ollama keeps the model loaded (e.g. 30m, 1h, -1)")
    num_ctx: int = _setting(4096, "context window in tokens", low=512, high=1_048_576)
    temperature: float = _setting(0.7, "sampling temperature", low=0.0, high=2.0)
    persona: str = _setting("", "system prompt (empty: the built-in voice-assistant persona)")
    max_image_side: int = _setting(1568, "images are downscaled to this many pixels", low=64, high=8192)
    images_in_context: int = _setting(
        2, "images are sent with this many of the latest questions (the new one included)", low=1, high=20
    )
    timeout_s: float = _setting(120.0, "seconds to wait for the server", low=1.0, high=3600.0)
    allow_insecure: bool = _setting(
        False,
        "allow plain http:// to a host other than this machine (questions cross the network unencrypted)",
    )


@dataclass(frozen=True)
class TtsSettings:
    """Text to speech with Kokoro."""

    model: str = _setting(
        "",
        "Kokoro .onnx file: a path, or the name of an imported one "
        "(empty: the official fp32 kokoro-v1.0.onnx where it is imported, else kokoro-v1.0.int8.onnx)",
    )
    voices: str = _setting("", "Kokoro voices file: a path, or the name of an imported one")
    voice: str = _setting("af_heart", "a voice name from the voices file")
    speed: float = _setting(1.0, "speaking rate", low=0.5, high=2.0)
    language: str = _setting("en-us", "espeak language code for pronunciation")
    conv_rewrite: str = _setting(
        "auto",
        "run an int8 model's vocoder convolutions as float ones, from a copy made once beside it: "
        "15 % faster for about 35 MB more on a 2-core x86-64 (benchmarks/README.md); auto: on x86-64 only",
        choices=("auto", "on", "off"),
    )


@dataclass(frozen=True)
class TextSettings:
    """How a reply is cut into spoken chunks."""

    first_chunk_min_words: int = _setting(3, "words before the first clause may be spoken", low=1, high=20)
    first_chunk_words: int = _setting(
        3,
        "words before the first chunk may end between words (2.7 words: a second of speech)",
        low=1,
        high=20,
    )
    first_clause_max_words: int = _setting(
        4, "a first clause this short is spoken whole, not cut between words", low=1, high=50
    )
    block_phrases: tuple[str, ...] = _setting((), "a reply containing one of these is not spoken further")
    redact_patterns: tuple[str, ...] = _setting(
        (), "regular expressions spoken as 'redacted'", item_check=check_pattern
    )
    redact_pii: bool = _setting(True, "speak e-mail addresses, phone, card and IBAN numbers as 'redacted'")
    phone_region: str = _setting(
        "",
        "two-letter country code whose national phone numbers are redacted, e.g. GB for '020 7946 0958' "
        "('+' numbers are found anyway); empty: the system locale's country (LC_ALL, LC_MESSAGES, LANG), "
        "US where the locale names none (C.UTF-8, POSIX)",
        item_check=check_phone_region,
    )
    never_speak: tuple[str, ...] = _setting(
        (), "words or phrases never spoken: each is spoken as 'something' (whole words, any case)"
    )


@dataclass(frozen=True)
class UiSettings:
    """The desktop app: the hold-to-talk hotkey, how presses count, and starting at login."""

    hotkey: str = _setting("Ctrl+Alt+Space", "hold-to-talk keys in Qt notation, e.g. Ctrl+Alt+Space")
    hotkey_backend: str = _setting(
        "auto",
        "auto: the XDG portal on Wayland, pynput elsewhere; ptt: only 'desktop-assistant ptt'",
        choices=("auto", "pynput", "portal", "ptt"),
    )
    min_press_ms: int = _setting(250, "shorter presses are ignored", low=0, high=2000)
    max_hold_s: float = _setting(120.0, "a longer hold ends the recording", low=5.0, high=600.0)
    start_at_login: bool = _setting(
        False, "start the app when you log in (XDG autostart, a macOS LaunchAgent, the Windows Run key)"
    )


@dataclass(frozen=True)
class HistorySettings:
    """The conversation history kept in the data folder."""

    enabled: bool = _setting(True, "keep every conversation (off: nothing is written)")
    keep_days: int = _setting(
        0, "conversations older than this are removed at start-up (0 keeps all)", low=0, high=36500
    )
    store_images: bool = _setting(True, "keep a copy of the images asked about")


@dataclass(frozen=True)
class ModelsSettings:
    """Where model downloads come from."""

    mirror: str = _setting(
        "",
        "a base URL that replaces https:// in every download URL, e.g. https://mirror.example/models "
        "(DESKTOP_ASSISTANT_MODEL_MIRROR wins); the same sha256 must hold",
    )


@dataclass(frozen=True)
class Settings:
    """All settings. Build with ``Settings.from_mapping`` to validate a TOML-shaped mapping."""

    schema_version: int = SCHEMA_VERSION
    audio: AudioSettings = field(default_factory=AudioSettings)
    stt: SttSettings = field(default_factory=SttSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    text: TextSettings = field(default_factory=TextSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> tuple[Settings, list[str]]:
        """Validate ``data``; return the settings and the dotted keys it holds that are not settings."""
        unknown: list[str] = []
        areas: dict[str, Any] = {}
        for name, value in data.items():
            if name == "schema_version":
                continue
            area_type = _AREAS.get(name)
            if area_type is None:
                unknown.append(name)
            elif not isinstance(value, Mapping):
                raise ConfigError(f"'{name}' must be a table of settings", f"Write it as [{name}].")
            else:
                areas[name] = _build_area(name, area_type, value, unknown)
        return cls(**areas), unknown

    def get(self, key: str) -> Any:
        """The value of a dotted key such as ``llm.model``."""
        area, name = split_key(key)
        return getattr(getattr(self, area), name)

    def to_mapping(self) -> dict[str, Any]:
        """A TOML-ready mapping of every setting."""
        out: dict[str, Any] = {"schema_version": self.schema_version}
        for area in _AREAS:
            out[area] = {k: _to_toml(v) for k, v in dataclasses.asdict(getattr(self, area)).items()}
        return out


_AREAS: dict[str, type] = {
    "audio": AudioSettings,
    "stt": SttSettings,
    "llm": LlmSettings,
    "tts": TtsSettings,
    "text": TextSettings,
    "ui": UiSettings,
    "history": HistorySettings,
    "models": ModelsSettings,
}


def all_keys() -> list[str]:
    """Every dotted setting key, in file order."""
    return [f"{area}.{f.name}" for area, cls in _AREAS.items() for f in dataclasses.fields(cls)]


def split_key(key: str) -> tuple[str, str]:
    """Split ``area.name`` and check that it names a setting."""
    area, _, name = key.partition(".")
    cls = _AREAS.get(area)
    if cls is None or name not in {f.name for f in dataclasses.fields(cls)}:
        raise ConfigError(f"Unknown setting '{key}'", "Run 'desktop-assistant config list' to see them all.")
    return area, name


def expected_form(key: str) -> str:
    """A human description of what ``key`` accepts, e.g. 'a whole number from 0 to 3'."""
    area, name = split_key(key)
    f = _field(area, name)
    return _describe(_field_type(_AREAS[area], name), f.metadata["rule"])


def parse_value(key: str, text: str) -> Any:
    """Turn command-line text into a valid value for ``key`` (a list is comma-separated)."""
    area, name = split_key(key)
    kind = _field_type(_AREAS[area], name)
    raw: Any = text
    if kind is int or kind is float:
        try:
            raw = kind(text.strip())
        except ValueError:
            raise _bad(key, text, _describe(kind, _field(area, name).metadata["rule"])) from None
    elif kind == tuple[str, ...]:
        raw = [part.strip() for part in text.split(",") if part.strip()]
    elif kind is bool:
        raw = {
            "true": True,
            "yes": True,
            "on": True,
            "1": True,
            "false": False,
            "no": False,
            "off": False,
            "0": False,
        }.get(text.strip().lower(), text)
    rule = _field(area, name).metadata["rule"]
    try:
        value = _check(key, kind, rule, raw)
    except ConfigError:
        # Name the value as the user typed it ("7", not the parsed "7.0").
        raise _bad(key, text.strip(), _describe(kind, rule)) from None
    _check_items(rule, value)
    return value


def _field(area: str, name: str) -> dataclasses.Field[Any]:
    return next(f for f in dataclasses.fields(_AREAS[area]) if f.name == name)


def _field_type(cls: type, name: str) -> Any:
    return get_type_hints(cls)[name]


def _build_area(area: str, cls: type, values: Mapping[str, Any], unknown: list[str]) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        f = known.get(name)
        if f is None:
            unknown.append(f"{area}.{name}")
            continue
        rule = f.metadata["rule"]
        kwargs[name] = _check(f"{area}.{name}", _field_type(cls, name), rule, value)
        _check_items(rule, kwargs[name])
    return cls(**kwargs)


def _check_items(rule: Rule, value: Any) -> None:
    """Pass a text value, or each item of a list, to the rule's ``item_check``."""
    if rule.item_check is not None:
        for item in value if isinstance(value, tuple) else (value,):
            rule.item_check(item)


def _check(key: str, kind: Any, rule: Rule, value: Any) -> Any:
    form = _describe(kind, rule)
    if kind is bool:
        if not isinstance(value, bool):
            raise _bad(key, value, form)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(key, value, form)
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _bad(key, value, form)
    elif kind is str:
        if not isinstance(value, str):
            raise _bad(key, value, form)
        if rule.choices and value not in rule.choices:
            raise _bad(key, value, form)
        return value
    elif kind == tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _bad(key, value, form)
        return tuple(v.strip() for v in value if v.strip())
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
        raise _bad(key, value, form)
    return float(value) if kind is float else value


def _describe(kind: Any, rule: Rule) -> str:
    if rule.choices:
        return "one of: " + ", ".join(rule.choices)
    if kind is bool:
        return "true or false"
    if kind == tuple[str, ...]:
        return "a list of words (comma-separated on the command line)"
    if kind in (int, float):
        noun = "a whole number" if kind is int else "a number"
        if rule.low is not None and rule.high is not None:
            return f"{noun} from {_num(rule.low)} to {_num(rule.high)}"
        return noun
    return "text"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _bad(key: str, value: Any, form: str) -> ConfigError:
    return ConfigError(f"Setting '{key}' cannot be {value!r}", f"It takes {form}.")


def _to_toml(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
