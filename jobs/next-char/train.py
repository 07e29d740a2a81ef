#!/usr/bin/python3
"""Trains the `next-char` model: after each letter of a word, a distribution over the next letter
(a-z) or the end of the word ($). After h,o,u,s it says e; after l,i,s it says t.

Word list: SCOWL's "american-english" as Debian's `wamerican` package installs it
(/usr/share/dict/american-english; (c) 2000-2011 Kevin Atkinson and others, a permissive licence:
see jobs/next-char/WORDLIST-LICENSE). Only the all-lowercase a-z entries are used (63,875 words).
One sequence per word, the state reset before each word. An LSTM (26 -> 96) and a softmax head
(96 -> 27). Reproducible from the seed; about 5 minutes on 2 CPU cores with Debian's python3-torch:

    apt-get install python3-torch wamerican
    /usr/bin/python3 jobs/next-char/train.py
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
WORDS = "/usr/share/dict/american-english"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
OUTPUTS = LETTERS + "$"
H = 96
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.safetensors")


def load_words():
    with open(WORDS, encoding="utf-8") as f:
        return [w for w in (line.strip() for line in f) if w and all(c in LETTERS for c in w)]


def encode(words):
    """x (n, T, 26) one-hot letters, y (n, T) next-symbol index, mask (n, T)."""
    t = max(len(w) for w in words)
    n = len(words)
    x = np.zeros((n, t, 26), np.float32)
    y = np.zeros((n, t), np.int64)
    m = np.zeros((n, t), np.float32)
    for i, w in enumerate(words):
        for j, c in enumerate(w):
            x[i, j, LETTERS.index(c)] = 1
            y[i, j] = OUTPUTS.index(w[j + 1]) if j + 1 < len(w) else 26
            m[i, j] = 1
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(m)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.RandomState(SEED)
    words = load_words()
    rng.shuffle(words)
    held = words[:2000]
    train = words[2000:]
    print("%d words: %d to train, %d held out" % (len(words), len(train), len(held)), flush=True)
    rnn = nn.LSTM(26, H, 1, batch_first=True)
    head = nn.Linear(H, 27)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    epochs, bs, start = 12, 256, time.time()
    train.sort(key=len)  # batches of similar length: little padding
    batches = [train[i:i + bs] for i in range(0, len(train), bs)]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(batches))
        total, count = 0.0, 0.0
        for b in order:
            x, y, m = encode(batches[b])
            logits = head(rnn(x)[0])
            loss = (nn.functional.cross_entropy(logits.reshape(-1, 27), y.reshape(-1), reduction="none")
                    * m.reshape(-1)).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            total += loss.item() * m.sum().item()
            count += m.sum().item()
        if epoch == 9:
            for g in opt.param_groups:
                g["lr"] = 1e-3
        print("epoch %2d/%d  loss %.4f  (%.0f s)" % (epoch, epochs, total / count, time.time() - start), flush=True)
    with torch.no_grad():
        x, y, m = encode(held)
        pred = head(rnn(x)[0]).argmax(-1)
        acc = ((pred == y).float() * m).sum().item() / m.sum().item()
        for prefix in ("hous", "lis"):
            px = encode([prefix])[0]
            p = torch.softmax(head(rnn(px)[0][0, len(prefix) - 1]), -1)
            k = int(p.argmax())
            print("after %s: %s (%.3f)" % (",".join(prefix), OUTPUTS[k], p[k].item()))
    print("held-out next-letter accuracy: %.4f over %d letters of %d words" % (acc, int(m.sum().item()), len(held)))
    save_model(OUT, rnn, head, "lstm", "tanh", "softmax",
               {"letters": LETTERS, "outputs": OUTPUTS, "seed": SEED, "epochs": epochs,
                "wordlist": "SCOWL american-english (Debian wamerican 2020.12.07)",
                "heldout_accuracy": "%.4f" % acc, "recipe": "jobs/next-char/train.py"})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
