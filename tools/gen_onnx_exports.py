#!/usr/bin/python3
"""ONNX exports of whole-sequence PyTorch modules, for the ONNX reader's tests (OnnxExportTest).

torch.onnx.export of a module with nn.RNN / nn.GRU / nn.LSTM (stacked layers, with and without bias)
and an nn.Linear head on every step (exported as MatMul + Add) with an activation; the initial state
is a graph input. Next to each model.onnx, a .jsonl stream in the golden format (one key, the
expected output of every step as PyTorch computes it). Run with Debian's python3-torch and
python3-onnx:  /usr/bin/python3 tools/gen_onnx_exports.py src/test/resources/golden/onnx-export
"""
import json
import os
import sys

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/golden/onnx-export"
torch.manual_seed(20261201)


class Net(torch.nn.Module):
    def __init__(self, cell, i, h, layers, bias, head, act, nonlinearity="tanh"):
        super().__init__()
        kw = dict(batch_first=True, num_layers=layers, bias=bias)
        if cell == "rnn":
            kw["nonlinearity"] = nonlinearity
        self.rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](i, h, **kw)
        self.head = torch.nn.Linear(h, head) if head else None
        self.act = act
        self.cell = cell

    def forward(self, x, *state):
        s = state if self.cell == "lstm" else state[0]
        y, new = self.rnn(x, s)
        if self.head is not None:
            y = self.head(y)
            y = {"none": y, "sigmoid": torch.sigmoid(y), "tanh": torch.tanh(y),
                 "softmax": torch.softmax(y, dim=-1)}[self.act]
        return (y, *new) if self.cell == "lstm" else (y, new)


CONFIGS = [
    ("lstm", 4, 6, 2, True, 3, "softmax", "tanh"),
    ("lstm", 3, 5, 3, False, 2, "sigmoid", "tanh"),
    ("gru", 5, 7, 2, True, 1, "tanh", "tanh"),
    ("gru", 3, 4, 3, False, 2, "none", "tanh"),
    ("rnn", 4, 5, 2, True, 2, "sigmoid", "relu"),
    ("rnn", 3, 6, 3, False, 0, "none", "tanh"),
]

os.makedirs(OUT, exist_ok=True)
for cell, i, h, layers, bias, head, act, nl in CONFIGS:
    name = f"{cell}{'_' + nl if cell == 'rnn' else ''}_i{i}_h{h}_l{layers}{'' if bias else '_nobias'}" \
           f"{f'_head{head}_{act}' if head else ''}"
    net = Net(cell, i, h, layers, bias, head, act, nl).eval()
    T = 7
    x = torch.randn(1, T, i) * 2
    h0 = torch.zeros(layers, 1, h)
    state = (h0, torch.zeros(layers, 1, h)) if cell == "lstm" else (h0,)
    names = ["h0", "c0"] if cell == "lstm" else ["h0"]
    outs = ["y"] + (["hN", "cN"] if cell == "lstm" else ["hN"])
    with torch.no_grad():
        y = net(x, *state)[0]
        torch.onnx.export(net, (x, *state), os.path.join(OUT, name + ".onnx"), opset_version=17,
                          input_names=["x"] + names, output_names=outs,
                          dynamic_axes={"x": {0: "batch", 1: "seq"}})
    with open(os.path.join(OUT, name + ".jsonl"), "w") as f:
        for t in range(T):
            f.write(json.dumps({"key": "k", "seq": t, "input": [float(v) for v in x[0, t]], "reset": False,
                                "expected_output": [float(v) for v in y[0, t]]}) + "\n")
    print(name)

# What the reader must refuse, each with a clear error: made from the exports above with onnx.helper.
import onnx
from onnx import helper

REFUSED = os.path.join(OUT, "refused")
os.makedirs(REFUSED, exist_ok=True)


def edit(src, dst, change):
    m = onnx.load(os.path.join(OUT, src))
    change(m.graph)
    onnx.save(m, os.path.join(REFUSED, dst))
    print("refused/" + dst)


def set_attr(op, attr):
    def f(g):
        n = next(n for n in g.node if n.op_type == op)
        for a in list(n.attribute):
            if a.name == attr.name:
                n.attribute.remove(a)
        n.attribute.append(attr)
    return f


edit("gru_i5_h7_l2_head1_tanh.onnx", "gru_linear_before_reset_0.onnx", set_attr("GRU", helper.make_attribute("linear_before_reset", 0)))
edit("lstm_i4_h6_l2_head3_softmax.onnx", "lstm_clip.onnx", set_attr("LSTM", helper.make_attribute("clip", 3.0)))
edit("lstm_i4_h6_l2_head3_softmax.onnx", "lstm_input_forget.onnx", set_attr("LSTM", helper.make_attribute("input_forget", 1)))
edit("lstm_i4_h6_l2_head3_softmax.onnx", "lstm_bidirectional.onnx", set_attr("LSTM", helper.make_attribute("direction", "bidirectional")))


def relu_between_layers(g):
    # the second layer reads Relu(Squeeze(first layer's Y)) instead
    second = [n for n in g.node if n.op_type == "LSTM"][1]
    src = second.input[0]
    relu = helper.make_node("Relu", [src], [src + "_relu"], name="between")
    second.input[0] = src + "_relu"
    idx = list(g.node).index(second)
    g.node.insert(idx, relu)


edit("lstm_i4_h6_l2_head3_softmax.onnx", "lstm_relu_between_layers.onnx", relu_between_layers)


def peepholes(g):
    n = next(n for n in g.node if n.op_type == "LSTM")
    g.initializer.append(helper.make_tensor("P", onnx.TensorProto.FLOAT, [1, 18], [0.1] * 18))
    while len(n.input) < 7:
        n.input.append("")
    n.input.append("P")


edit("lstm_i4_h6_l2_head3_softmax.onnx", "lstm_peepholes.onnx", peepholes)
