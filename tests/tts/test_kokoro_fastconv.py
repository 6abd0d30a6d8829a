"""Kokoro's onnxruntime session and the int8 model's fast-convolution copy, on the real int8 model.

The copy is made once for the module (about 2 s, in a child process); the tests that make it again
pay that each.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.tts import kokoro_graph, kokoro_session
from desktop_assistant.tts.kokoro import load_kokoro
from desktop_assistant.tts.kokoro_session import STAMP_KEY, fastconv_path, source_stamp
from tests.models_home import voices_file

pytestmark = pytest.mark.model

SENTENCES = (
    "Sure.",
    "The speaker is John F. Kennedy,",
    "The library opens at nine in the morning and closes at six in the evening.",
)


@pytest.fixture(scope="module")
def int8_model(
    tmp_path_factory: pytest.TempPathFactory, library: ModelLibrary, tts_settings: TtsSettings
) -> Path:
    """The int8 model in a folder of its own, its fast copy made beside it."""
    model, _ = library.kokoro_files(tts_settings)
    own = tmp_path_factory.mktemp("fastconv") / model.name
    shutil.copyfile(model, own)
    load_kokoro(own, voices_file(), "on")
    return own


def _stamp_of(copy: Path) -> str:
    return ort.InferenceSession(str(copy)).get_modelmeta().custom_metadata_map[STAMP_KEY]


def test_the_session_has_the_chosen_options(int8_model: Path) -> None:
    options = load_kokoro(int8_model, voices_file()).sess.get_session_options()
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.enable_cpu_mem_arena
    assert not options.enable_mem_pattern
    assert options.intra_op_num_threads == 0  # onnxruntime's one thread per physical core


def test_the_copy_speaks_as_the_model_does(int8_model: Path, tts_settings: TtsSettings) -> None:
    original = load_kokoro(int8_model, voices_file(), "off")
    fast = load_kokoro(int8_model, voices_file(), "on")
    assert Path(original.config.model_path) == int8_model
    assert Path(fast.config.model_path) == fastconv_path(int8_model)
    for text in SENTENCES:
        # Untrimmed, the length is the durations the model predicted, which the copy leaves alone.
        before = original.create(text, voice=tts_settings.voice, trim=False)[0]
        after = fast.create(text, voice=tts_settings.voice, trim=False)[0]
        assert len(after) == len(before)
        # Measured 0.987-0.995 with af_heart, am_michael and jf_alpha (SNR 16-20 dB).
        correlation = float(np.corrcoef(before, after)[0, 1])
        assert correlation > 0.97, f"{text!r}: correlation {correlation:.3f}"


def test_the_copy_is_made_once_and_reused(int8_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = fastconv_path(int8_model)
    made = copy.stat().st_mtime_ns

    def not_again(*_args: object) -> bool:
        raise AssertionError("the copy was made again")

    monkeypatch.setattr(kokoro_session, "_make_copy", not_again)
    load_kokoro(int8_model, voices_file(), "on")
    assert copy.stat().st_mtime_ns == made
    assert _stamp_of(copy) == source_stamp(int8_model)


def test_a_corrupt_copy_is_made_again(int8_model: Path, caplog: pytest.LogCaptureFixture) -> None:
    copy = fastconv_path(int8_model)
    copy.write_bytes(b"\x08\x07" + b"not a model" * 100)
    with caplog.at_level(logging.WARNING):
        kokoro = load_kokoro(int8_model, voices_file(), "on")
    assert Path(kokoro.config.model_path) == copy
    assert f"{copy.name} does not load" in caplog.text
    assert _stamp_of(copy) == source_stamp(int8_model)
    assert not list(copy.parent.glob("*.partial"))


def test_a_copy_of_an_older_model_file_is_made_again(int8_model: Path) -> None:
    copy = fastconv_path(int8_model)
    old = source_stamp(int8_model)
    os.utime(int8_model, ns=(int8_model.stat().st_atime_ns, int8_model.stat().st_mtime_ns + 10**9))
    load_kokoro(int8_model, voices_file(), "on")
    assert _stamp_of(copy) == source_stamp(int8_model) != old


def test_without_a_copy_the_model_is_used_as_it_is(
    int8_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    model = tmp_path / int8_model.name
    shutil.copyfile(int8_model, model)
    assert Path(load_kokoro(model, voices_file(), "off").config.model_path) == model
    monkeypatch.setattr(kokoro_session.platform, "machine", lambda: "aarch64")
    assert Path(load_kokoro(model, voices_file(), "auto").config.model_path) == model
    assert not fastconv_path(model).exists()
    # A rewrite that fails (here: its module is not there) is one warning, and the model serves.
    monkeypatch.setattr(kokoro_session, "REWRITE_MODULE", "desktop_assistant.tts.no_such_module")
    with caplog.at_level(logging.WARNING):
        assert Path(load_kokoro(model, voices_file(), "on").config.model_path) == model
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "could not be rewritten" in warnings[0] and "no_such_module" in warnings[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [model.name]


def _tiny_model(path: Path, op_type: str = "Identity") -> Path:
    """A one-node float model: no quantized convolution in it."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node(op_type, ["x"], ["y"])], "tiny", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


def test_a_float_model_is_not_rewritten(int8_model: Path, tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "kokoro-v1.0.onnx")
    assert kokoro_session.has_quantized_convs(int8_model)
    assert not kokoro_session.has_quantized_convs(model)
    session = kokoro_session.kokoro_session(model, "on")
    assert session.get_inputs()[0].name == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == [model.name]


def _unexpected_conv(path: Path) -> Path:
    """A vocoder ConvInteger whose int32 output is cast to float and used without its scales."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    weight = helper.make_tensor("w", TensorProto.UINT8, [2, 2, 3], [128] * 12)
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        helper.make_node("ConvInteger", ["xq", "w", "xz"], ["c"], f"{kokoro_graph.VOCODER}conv"),
        helper.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT),
    ]
    graph = helper.make_graph(nodes, "unexpected", [x], [y], [weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


def test_the_rewrite_reports_a_model_it_cannot_rewrite_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out.onnx")
    assert kokoro_graph.main([str(_tiny_model(tmp_path / "float.onnx")), out, "stamp"]) == 1
    assert (
        capsys.readouterr().err == "RewriteError: it has no quantized convolutions in a Kokoro v1.0 vocoder\n"
    )
    assert kokoro_graph.main([str(_unexpected_conv(tmp_path / "odd.onnx")), out, "stamp"]) == 1
    assert capsys.readouterr().err == "RewriteError: y is not read by one Mul alone\n"
    (tmp_path / "bad.onnx").write_bytes(b"\x00" * 100)
    assert kokoro_graph.main([str(tmp_path / "bad.onnx"), out, "stamp"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "out.onnx").exists()
