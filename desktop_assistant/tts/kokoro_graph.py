"""Kokoro int8's quantized convolutions rewritten as float ones that onnxruntime runs faster on a CPU.

Run by ``kokoro_session`` as ``python -m desktop_assistant.tts.kokoro_graph MODEL OUT STAMP`` in a child
process. The int8 export runs every 1-D convolution as ``DynamicQuantizeLinear -> ConvInteger -> (Add of a
bias quantized at run time) -> Cast -> Mul by the two scales``. ``rewrite_convs`` replaces such a chain
with ``Unsqueeze -> Conv -> Squeeze`` on the float input, the weights dequantized once and the kernel
made 2-D (1 x k), so that onnxruntime's NCHWc kernels take it at ``ORT_ENABLE_ALL``.

Only the vocoder's convolutions (``/decoder/decoder/generator/``) are rewritten: they run at the
audio's time resolution and take 95 % of the convolution time in 57 MB of float weights. The others
run at the frame rate: as floats they would cost 160 MB more for the other 5 %, and those of the pitch
predictor would move the pitch and with it the phase of every sample after. The ``MatMulInteger``
and LSTM nodes stay quantized: onnxruntime's int8 matrix products are the faster ones.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

from desktop_assistant.errors import first_line
from desktop_assistant.tts.kokoro_session import STAMP_KEY

# Where the Kokoro v1.0 export's vocoder (iSTFTNet's generator) names its nodes.
VOCODER = "/decoder/decoder/generator/"


class RewriteError(Exception):
    """A ``ConvInteger`` is not followed by the dequantization the Kokoro export writes."""


@dataclass(frozen=True)
class _Chain:
    """One quantized convolution: its nodes from the ConvInteger to the Mul giving the float output."""

    conv: onnx.NodeProto
    x: str
    weight: str
    weight_zero: str | None
    weight_scale: str
    bias: str | None
    output: str


class _Graph:
    """Who produces and who consumes each value, and the initializers by name."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.inits = {init.name: init for init in graph.initializer}
        self.producer: dict[str, onnx.NodeProto] = {out: node for node in graph.node for out in node.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in graph.node:
            for name in node.input:
                self.consumers[name].append(node)

    def only_consumer(self, value: str, op_type: str) -> onnx.NodeProto:
        users = self.consumers[value]
        if len(users) != 1 or users[0].op_type != op_type:
            raise RewriteError(f"{value} is not read by one {op_type} alone")
        return users[0]

    def made_by(self, value: str, op_type: str) -> onnx.NodeProto:
        node = self.producer.get(value)
        if node is None or node.op_type != op_type:
            raise RewriteError(f"{value} is not made by a {op_type}")
        return node

    def array(self, name: str) -> npt.NDArray[np.generic]:
        if name not in self.inits:
            raise RewriteError(f"{name} is not a constant")
        return np.asarray(numpy_helper.to_array(self.inits[name]))

    def other_input(self, node: onnx.NodeProto, known: str) -> str:
        return str(next(name for name in node.input if name != known))

    def chain(self, conv: onnx.NodeProto) -> _Chain:
        """Follow ``conv`` to the Mul that gives its float output, with or without a bias Add."""
        quantize = self.made_by(conv.input[0], "DynamicQuantizeLinear")
        after = self.consumers[conv.output[0]]
        bias = None
        value = conv.output[0]
        if len(after) == 1 and after[0].op_type == "Add":
            add = after[0]
            # The bias is quantized at run time: Reshape(Cast(Floor(Div(bias, scale)))).
            node = self.made_by(self.other_input(add, value), "Reshape")
            node = self.made_by(self.made_by(node.input[0], "Cast").input[0], "Floor")
            bias = self.made_by(node.input[0], "Div").input[0]
            value = add.output[0]
        cast = self.only_consumer(value, "Cast")
        mul = self.only_consumer(cast.output[0], "Mul")
        scale = self.made_by(self.other_input(mul, cast.output[0]), "Mul")
        weight_scale = next((name for name in scale.input if name in self.inits), None)
        if weight_scale is None or quantize.output[1] not in scale.input:
            raise RewriteError(f"{scale.name} is not the input's scale times a constant weight scale")
        zero = conv.input[3] if len(conv.input) > 3 and conv.input[3] else None
        return _Chain(conv, quantize.input[0], conv.input[1], zero, weight_scale, bias, mul.output[0])

    def float_weight(self, chain: _Chain) -> npt.NDArray[np.float32]:
        """``(W - zero) * scale`` for the whole tensor or per output channel, shaped (O, C/g, 1, k)."""
        weight = self.array(chain.weight).astype(np.float32)
        per_channel = (-1,) + (1,) * (weight.ndim - 1)
        if chain.weight_zero is not None:
            weight -= self.array(chain.weight_zero).astype(np.float32).reshape(per_channel)
        weight *= self.array(chain.weight_scale).astype(np.float32).reshape(per_channel)
        if weight.ndim != 3:
            raise RewriteError(f"{chain.conv.name} is not a 1-D convolution")
        return weight[:, :, np.newaxis, :]


def rewrite_convs(model: onnx.ModelProto, scope: str = VOCODER) -> int:
    """Rewrite the ``ConvInteger`` chains of ``model`` whose node names start with ``scope``, in place;
    the number rewritten.

    ``RewriteError`` (and nothing changed) when one does not have the expected form.
    """
    graph = _Graph(model.graph)
    chains = [
        graph.chain(node)
        for node in model.graph.node
        if node.op_type == "ConvInteger" and node.name.startswith(scope)
    ]
    if not chains:
        return 0
    axes = _unique_name(graph, "fastconv_axis_2")
    new_inits = [numpy_helper.from_array(np.array([2], dtype=np.int64), axes)]
    replaced: dict[str, list[onnx.NodeProto]] = {}
    for chain in chains:
        prefix = f"{chain.conv.name}_fastconv"
        weight = f"{prefix}_weight"
        new_inits.append(numpy_helper.from_array(graph.float_weight(chain), weight))
        inputs = [f"{prefix}_in", weight] + ([chain.bias] if chain.bias else [])
        replaced[chain.output] = [
            helper.make_node("Unsqueeze", [chain.x, axes], [f"{prefix}_in"], f"{prefix}_up"),
            helper.make_node("Conv", inputs, [f"{prefix}_out"], prefix, **_conv_2d(chain.conv)),
            helper.make_node("Squeeze", [f"{prefix}_out", axes], [chain.output], f"{prefix}_down"),
        ]
    _splice(model.graph, replaced)
    model.graph.initializer.extend(new_inits)
    _drop_unused(model.graph)
    return len(chains)


def _conv_2d(conv: onnx.NodeProto) -> dict[str, Any]:
    """The ConvInteger's attributes for a 2-D convolution over a height of 1."""
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    out: dict[str, Any] = {"group": attrs.get("group", 1)}
    for name in ("kernel_shape", "strides", "dilations"):
        if name in attrs:
            out[name] = [1, *attrs[name]]
    if "pads" in attrs:
        begin, end = attrs["pads"]
        out["pads"] = [0, begin, 0, end]
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        out["auto_pad"] = attrs["auto_pad"]
    return out


def _splice(graph: onnx.GraphProto, replaced: dict[str, list[onnx.NodeProto]]) -> None:
    """Put each chain's new nodes where the Mul that made its output was, keeping the order valid."""
    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        new = next((replaced[out] for out in node.output if out in replaced), None)
        nodes.extend(new if new is not None else [node])
    del graph.node[:]
    graph.node.extend(nodes)


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Remove the nodes and initializers nothing leads from to a graph output."""
    needed = {out.name for out in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    inits = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def _unique_name(graph: _Graph, name: str) -> str:
    taken = set(graph.inits) | set(graph.producer)
    while name in taken:
        name += "_"
    return name


def main(argv: list[str]) -> int:
    """Rewrite the model at ``argv[0]`` into ``argv[1]``, recording ``argv[2]`` as its source stamp;
    on failure one line on stderr and exit status 1."""
    source, target, stamp = argv
    try:
        model = onnx.load(source)
        if rewrite_convs(model) == 0:
            raise RewriteError("it has no quantized convolutions in a Kokoro v1.0 vocoder")
        model.metadata_props.add(key=STAMP_KEY, value=stamp)
        onnx.save(model, target)
    except Exception as exc:  # protobuf, onnx and the file system raise many types; the parent logs it
        print(f"{type(exc).__name__}: {first_line(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
