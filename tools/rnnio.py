"""Shared by the training recipes: write a PyTorch recurrent model and head as safetensors with metadata."""
import json
import struct

import numpy as np


def to_bytes(a, dtype):
    """Little-endian bytes of an array stored as F32, F64, F16 or BF16 (BF16: the float32's top 16 bits)."""
    if dtype == "F32":
        return np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "F64":
        return np.ascontiguousarray(a, dtype="<f8").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(a, dtype="<f2").tobytes()
    if dtype == "BF16":
        return (np.ascontiguousarray(a, dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, metadata, dtype="F32"):
    """tensors: list of (name, numpy array) written in this order; metadata: dict of str -> str, or None."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, arr in tensors:
        b = to_bytes(arr, dtype)
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def save_model(path, rnn, head, cell, nonlinearity, head_activation, extra_meta):
    """Writes rnn (nn.RNN/GRU/LSTM under prefix 'rnn.') and head (nn.Linear under 'head.')."""
    import torch  # noqa: F401  (the modules are torch modules)
    tensors = [("rnn." + k, v.detach().cpu().numpy()) for k, v in rnn.state_dict().items()]
    tensors += [("head." + k, v.detach().cpu().numpy()) for k, v in head.state_dict().items()]
    meta = {"cell_type": cell, "nonlinearity": nonlinearity, "input_size": rnn.input_size,
            "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers,
            "proj_size": getattr(rnn, "proj_size", 0), "bias": "true", "head_size": head.out_features,
            "head_activation": head_activation, "output_size": head.out_features}
    meta.update(extra_meta)
    write_safetensors(path, tensors, meta)
