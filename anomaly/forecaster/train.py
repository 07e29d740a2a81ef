#!/usr/bin/python3
"""Trains the `anomaly` job's forecaster: a GRU (1 -> 24) with a linear head that predicts a series'
next normalised value from the values so far.

Training data: only what NAB does not score, the probationary first 15% (at most 750 rows) of each
of the 58 NAB files, plus synthetic series (sines of random periods and phases with noise, random
walks, square waves), each normalised exactly as the detector normalises a key: by the min and max of
its first LEARN rows. Windows of 96 steps, teacher forcing, MSE on the next value. Reproducible from
the seed; about two minutes on 2 CPU cores with Debian's python3-torch:

    /usr/bin/python3 anomaly/forecaster/train.py [NAB_DIR] [--seed N] [--hidden N] [--out FILE]

NAB_DIR defaults to ../shared/nab, the seed to 20261127, the hidden size to 24 and the output to the
bundled anomaly/forecaster/model.safetensors. Another seed or size, written elsewhere, is for measuring how
much of the NAB score the particular weights account for:
`nab --nab-dir ../shared/nab --out target/nab-seed1 --model FILE` (README, "Anomaly detection and NAB").
"""
import argparse
import csv
import glob
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from rnnio import save_model  # noqa: E402

LEARN = 150          # rows that fix a key's normalisation (AnomalyDetector.LEARN_ROWS)
T = 96
HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = argparse.ArgumentParser(description="trains the anomaly job's GRU forecaster")
ARGS.add_argument("nab_dir", nargs="?", default=os.path.join(HERE, "..", "..", "..", "shared", "nab"),
                  help="the NAB corpus, whose probationary rows are trained on (default ../shared/nab)")
ARGS.add_argument("--seed", type=int, default=20261127, help="seeds torch and numpy (default 20261127)")
ARGS.add_argument("--hidden", type=int, default=24, help="the GRU's hidden size (default 24)")
ARGS.add_argument("--extra", action="append", default=[],
                  help="another corpus in NAB's layout whose files' first 15%% of rows (their training part) "
                       "are trained on too; repeatable")
ARGS.add_argument("--out", default=os.path.join(HERE, "model.safetensors"),
                  help="where to write the weights (default: the bundled anomaly/forecaster/model.safetensors)")
OPTS = ARGS.parse_args()
SEED = OPTS.seed
H = OPTS.hidden
NAB = OPTS.nab_dir
OUT = OPTS.out


def normalise(v):
    head = v[:LEARN]
    lo, hi = float(head.min()), float(head.max())
    rng = hi - lo if hi > lo else max(abs(hi), 1.0)
    return np.clip((v - lo) / rng, -4.0, 5.0).astype(np.float32)


def nab_series():
    out = []
    for f in sorted(glob.glob(os.path.join(NAB, "data", "*", "*.csv"))):
        with open(f) as fh:
            vals = np.array([float(r["value"]) for r in csv.DictReader(fh)], dtype=np.float64)
        prob = int(min(np.floor(0.15 * len(vals)), 750))
        out.append(normalise(vals[:prob]))      # only the unscored probationary rows
    return out


def extra_series(corpus):
    out = []
    for f in sorted(glob.glob(os.path.join(corpus, "data", "*", "*.csv"))):
        with open(f) as fh:
            vals = np.array([float(r["value"]) for r in csv.DictReader(fh)], dtype=np.float64)
        out.append(normalise(vals[:int(np.floor(0.15 * len(vals)))]))  # only the training part
    return out


def synthetic(rng, n):
    out = []
    for _ in range(n):
        length = 600
        t = np.arange(length)
        kind = rng.randint(4)
        if kind == 0:
            v = np.sin(2 * np.pi * t / rng.uniform(10, 300) + rng.uniform(0, 6.3)) + rng.normal(0, rng.uniform(0, .3), length)
        elif kind == 1:
            v = np.cumsum(rng.normal(0, 1, length))
        elif kind == 2:
            v = (np.sin(2 * np.pi * t / rng.uniform(20, 200)) > 0).astype(float) + rng.normal(0, .05, length)
        else:
            v = rng.normal(0, 1, length) * rng.uniform(.1, 1) + rng.uniform(-5, 5)
        out.append(normalise(v * rng.uniform(0.1, 100) + rng.uniform(-100, 100)))
    return out


def windows(series, rng, count):
    xs = []
    for _ in range(count):
        s = series[rng.randint(len(series))]
        if len(s) <= T + 1:
            continue
        a = rng.randint(0, len(s) - T - 1)
        xs.append(s[a:a + T + 1])
    return torch.from_numpy(np.stack(xs)).unsqueeze(-1)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.RandomState(SEED)
    extra = [s for c in OPTS.extra for s in extra_series(c)]
    series = nab_series() + synthetic(rng, 400) + extra
    print("%d series (58 NAB probationary parts, 400 synthetic, %d training parts of %s)"
          % (len(series), len(extra), ", ".join(OPTS.extra) or "no other corpus"), flush=True)
    rnn = nn.GRU(1, H, 1, batch_first=True)
    head = nn.Linear(H, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    steps, start = 2500, time.time()
    for step in range(1, steps + 1):
        w = windows(series, rng, 128)
        pred = head(rnn(w[:, :-1])[0])
        loss = ((pred - w[:, 1:]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step == 2000:
            for g in opt.param_groups:
                g["lr"] = 1e-3
        if step % 250 == 0:
            with torch.no_grad():
                naive = ((w[:, :-1] - w[:, 1:]) ** 2).mean().item()
            print("step %4d/%d  mse %.5f  (last-value baseline %.5f)  %.0f s"
                  % (step, steps, loss.item(), naive, time.time() - start), flush=True)
    save_model(OUT, rnn, head, "gru", "tanh", "none",
               {"seed": SEED, "learn_rows": LEARN, "window": T, "steps": steps,
                "training_data": "NAB probationary rows (first 15%, at most 750) + 400 synthetic series"
                                 + "".join(" + the first 15%% of %s's files" % os.path.basename(os.path.normpath(c)) for c in OPTS.extra),
                "recipe": "jobs/anomaly/train.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
