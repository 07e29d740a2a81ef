#!/usr/bin/python3
"""Extra PyTorch golden vectors for what ../shared/golden/public does not cover.

LSTM proj_size, bias=False, deeper stacks, tanh heads, a bare module (no prefix), another prefix
with an `fc` head and no metadata, and F16 / F64 / BF16 weight files. Each model is a .safetensors
file plus a .jsonl stream in the format of ../shared/golden/public/README.md, computed by stepping
torch.nn.RNN / GRU / LSTM one event at a time and carrying each key's state.

Run with Debian's python3-torch:  /usr/bin/python3 tools/gen_extra_golden.py
Writes src/test/resources/golden/extra/ (deterministic from the seeds below).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rnnio import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden", "extra")
KEYS = ["k1", "k2", "k3"]

# name, cell, nl, I, H, L, proj, bias, head, act, prefix, head_prefix, metadata?, dtype
MODELS = [
    ("lstm_proj_i6_h12_p5_l2_head3_softmax", "lstm", "tanh", 6, 12, 2, 5, True, 3, "softmax", "rnn.", "head.", True, "F32"),
    ("lstm_proj_nobias_i4_h10_p3_l1", "lstm", "tanh", 4, 10, 1, 3, False, 0, "none", "rnn.", None, True, "F32"),
    ("gru_nobias_i3_h7_l3_head2_tanh", "gru", "tanh", 3, 7, 3, 0, False, 2, "tanh", "rnn.", "head.", True, "F32"),
    ("rnn_relu_nobias_i5_h6_l3", "rnn", "relu", 5, 6, 3, 0, False, 0, "none", "rnn.", None, True, "F32"),
    ("bare_lstm_nometa_i3_h5_l2", "lstm", "tanh", 3, 5, 2, 0, True, 0, "none", "", None, False, "F32"),
    ("encoder_gru_fc_nometa_i4_h9_l2_head2", "gru", "tanh", 4, 9, 2, 0, True, 2, "none", "encoder.", "fc.", False, "F32"),
    ("lstm_f16_i5_h8_l1_head1", "lstm", "tanh", 5, 8, 1, 0, True, 1, "sigmoid", "rnn.", "head.", True, "F16"),
    ("gru_f64_i4_h6_l2", "gru", "tanh", 4, 6, 2, 0, True, 0, "none", "rnn.", None, True, "F64"),
    ("rnn_tanh_bf16_i3_h5_l1_head2", "rnn", "tanh", 3, 5, 1, 0, True, 2, "softmax", "rnn.", "head.", True, "BF16"),
]


def stored(arr, dtype):
    """The float32 values a reader gets back from the stored dtype (the model is run with these)."""
    if dtype == "F16":
        return arr.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return ((arr.astype(np.float32).view(np.uint32) >> 16) << 16).view(np.float32)
    return arr.astype(np.float32)  # F32, and F64 holds float32 values exactly


def fmt(v):
    v = np.float32(v)
    a = abs(float(v))
    if a == 0.0:
        return "-0.0" if np.signbit(v) else "0.0"
    if 1e-4 <= a < 1e7:
        return np.format_float_positional(v, unique=True, trim="0")
    return np.format_float_scientific(v, unique=True, trim="0")


def jarr(a):
    return "[" + ",".join(fmt(v) for v in np.asarray(a, dtype=np.float32).ravel()) + "]"


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for idx, (name, cell, nl, I, H, L, P, bias, O, act, prefix, hprefix, with_meta, dtype) in enumerate(MODELS):
        seed = 7000 + idx
        torch.manual_seed(seed)
        if cell == "rnn":
            rnn = nn.RNN(I, H, L, nonlinearity=nl, bias=bias, batch_first=True)
        elif cell == "gru":
            rnn = nn.GRU(I, H, L, bias=bias, batch_first=True)
        else:
            rnn = nn.LSTM(I, H, L, bias=bias, batch_first=True, proj_size=P)
        ho = P or H
        head = nn.Linear(ho, O) if O else None
        tensors = [(prefix + k, v.detach().numpy()) for k, v in rnn.state_dict().items()]
        if head is not None:
            tensors += [(hprefix + k, v.detach().numpy()) for k, v in head.state_dict().items()]
        # run the model with exactly the weights the file holds
        with torch.no_grad():
            for k, v in rnn.state_dict().items():
                v.copy_(torch.from_numpy(stored(v.numpy(), dtype)))
            if head is not None:
                for k, v in head.state_dict().items():
                    v.copy_(torch.from_numpy(stored(v.numpy(), dtype)))
        meta = None
        if with_meta:
            meta = {"format": "rnn-golden-v1", "cell_type": cell, "nonlinearity": nl, "input_size": I,
                    "hidden_size": H, "num_layers": L, "proj_size": P, "bias": "true" if bias else "false",
                    "head_size": O, "head_activation": act, "output_size": O or ho,
                    "gate_order": {"rnn": "-", "gru": "r,z,n", "lstm": "i,f,g,o"}[cell], "seed": seed,
                    "generator": "torch %s" % torch.__version__}
        write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, meta, dtype)

        rng = np.random.RandomState(seed + 100000)
        events = []
        for ki, k in enumerate(KEYS):
            n = int(rng.randint(15, 30))
            x = np.clip(np.round(rng.randn(n, I) * 256) / 256, -8, 8).astype(np.float32) + np.float32(0.0)
            reset = rng.rand(n) < 0.1
            reset[0] = ki == 0
            events += [(k, s, x[s], bool(reset[s])) for s in range(n)]
        order = rng.permutation(len(events))
        # interleave while keeping each key's order
        queues = {k: [e for e in events if e[0] == k] for k in KEYS}
        picks = [events[i][0] for i in order]
        state = {}
        lines = []
        with torch.no_grad():
            for k in picks:
                key, seq, x, reset = queues[k].pop(0)
                if reset or key not in state:
                    h0 = torch.zeros(L, 1, ho)
                    st = (h0, torch.zeros(L, 1, H)) if cell == "lstm" else h0
                else:
                    st = state[key]
                out, st = rnn(torch.from_numpy(x).view(1, 1, I), st)
                state[key] = st
                y = out[0, 0]
                if head is not None:
                    y = head(y)
                    if act == "sigmoid":
                        y = torch.sigmoid(y)
                    elif act == "softmax":
                        y = torch.softmax(y, dim=-1)
                    elif act == "tanh":
                        y = torch.tanh(y)
                hs = st[0] if cell == "lstm" else st
                parts = ['"key":' + json.dumps(key), '"seq":%d' % seq,
                         '"input":[' + ",".join(repr(float(v)) for v in x) + "]",
                         '"reset":' + ("true" if reset else "false"), '"expected_output":' + jarr(y.numpy()),
                         '"expected_h":[' + ",".join(jarr(hs[l, 0].numpy()) for l in range(L)) + "]"]
                if cell == "lstm":
                    parts.append('"expected_c":[' + ",".join(jarr(st[1][l, 0].numpy()) for l in range(L)) + "]")
                lines.append("{" + ",".join(parts) + "}")
        with open(os.path.join(OUT, name + ".jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("%-40s %s %4d events" % (name, dtype, len(lines)))


if __name__ == "__main__":
    main()
