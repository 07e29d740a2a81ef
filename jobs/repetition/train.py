#!/usr/bin/python3
"""Trains the `repetition` model: per event, the probability that this symbol already occurred in the
key's current sequence (0 the first time a symbol comes, 1 from its second time on).

Symbols are the digits 0-9, one-hot; sequences of up to 16 symbols drawn uniformly (so repetitions
are common), the state reset at each sequence start. A GRU (10 -> 32) and a sigmoid head.
Reproducible from the seed; runs on CPU in about a minute with Debian's python3-torch:

    /usr/bin/python3 jobs/repetition/train.py
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from rnnio import save_model  # noqa: E402

SEED = 20261127
SYMBOLS = "0123456789"
A, H, T = len(SYMBOLS), 32, 16
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.safetensors")


def batch(rng, n, t=T):
    x = rng.randint(0, A, size=(n, t))
    seen = np.zeros((n, A), dtype=bool)
    y = np.zeros((n, t), dtype=np.float32)
    for s in range(t):
        y[:, s] = seen[np.arange(n), x[:, s]]
        seen[np.arange(n), x[:, s]] = True
    onehot = np.eye(A, dtype=np.float32)[x]
    return torch.from_numpy(onehot), torch.from_numpy(y)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.RandomState(SEED)
    rnn = nn.GRU(A, H, 1, batch_first=True)
    head = nn.Linear(H, 1)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=5e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    steps, start = 3000, time.time()
    for step in range(1, steps + 1):
        x, y = batch(rng, 256)
        out, _ = rnn(x)
        loss = loss_fn(head(out).squeeze(-1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0:
            print("step %5d/%d  loss %.5f  (%.0f s)" % (step, steps, loss.item(), time.time() - start), flush=True)
    # held out: a fresh stream of sequences, every event scored at threshold 0.5
    with torch.no_grad():
        x, y = batch(np.random.RandomState(SEED + 1), 10000)
        p = torch.sigmoid(head(rnn(x)[0]).squeeze(-1))
        acc = ((p > 0.5).float() == y).float().mean().item()
    print("held-out accuracy: %.4f over %d events (10000 sequences of %d)" % (acc, y.numel(), T))
    save_model(OUT, rnn, head, "gru", "tanh", "sigmoid",
               {"symbols": SYMBOLS, "seed": SEED, "trained_steps": steps,
                "heldout_accuracy": "%.4f" % acc, "recipe": "jobs/repetition/train.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
