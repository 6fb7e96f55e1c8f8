"""A BERT encoder forward pass in numpy, enough to run sentence-transformers' small models.

Inference only, float32, weights laid out once for matrix products (`x @ W`), and the
query/key/value projections fused into one product per layer because on small batches the
call overhead, not the arithmetic, dominates. Mean pooling and normalisation live in the
caller; this module only turns token ids into contextual token vectors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]

# Coefficients of a rational approximation of erf (the one Eigen uses for float32): max abs
# error ~4e-7 over the reals. BERT's "gelu" is the exact erf form, not the tanh shortcut,
# which differs by up to 1e-3 and would spoil agreement with the reference model; numpy has
# no vectorised erf and scipy is not a dependency.
_ERF_NUM = tuple(
    np.float32(c)
    for c in (
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    )
)
_ERF_DEN = tuple(
    np.float32(c)
    for c in (
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    )
)
_MASKED = np.float32(-1e9)
"""Added to attention scores of padding positions; exp() of it is exactly 0 in float32."""


def erf(x: F32) -> F32:
    """Vectorised float32 error function (see the coefficients' comment)."""
    x = np.clip(x, np.float32(-4.0), np.float32(4.0))
    x2 = x * x
    num = np.full_like(x2, _ERF_NUM[0])
    for coefficient in _ERF_NUM[1:]:
        num *= x2
        num += coefficient
    den = np.full_like(x2, _ERF_DEN[0])
    for coefficient in _ERF_DEN[1:]:
        den *= x2
        den += coefficient
    num *= x
    num /= den
    return num


def gelu_(x: F32) -> F32:
    """In-place exact GELU: x * (1 + erf(x / sqrt 2)) / 2."""
    x *= erf(x * np.float32(1.0 / np.sqrt(2.0))) + np.float32(1.0)
    x *= np.float32(0.5)
    return x


def layer_norm(x: F32, gain: F32, bias: F32, eps: float) -> F32:
    centred: F32 = x - x.mean(axis=-1, keepdims=True)
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    centred /= np.sqrt(variance + np.float32(eps))
    centred *= gain
    centred += bias
    return centred


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_positions: int
    layer_norm_eps: float

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: only hidden_act 'gelu' is supported")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        return cls(
            vocab_size=int(raw["vocab_size"]),
            hidden_size=int(raw["hidden_size"]),
            num_layers=int(raw["num_hidden_layers"]),
            num_heads=int(raw["num_attention_heads"]),
            intermediate_size=int(raw["intermediate_size"]),
            max_positions=int(raw["max_position_embeddings"]),
            layer_norm_eps=float(raw.get("layer_norm_eps", 1e-12)),
        )


@dataclass(frozen=True)
class BertLayer:
    qkv_weight: F32  # (hidden, 3 * hidden): query | key | value
    qkv_bias: F32
    attn_out_weight: F32
    attn_out_bias: F32
    attn_norm_gain: F32
    attn_norm_bias: F32
    ffn_in_weight: F32
    ffn_in_bias: F32
    ffn_out_weight: F32
    ffn_out_bias: F32
    ffn_norm_gain: F32
    ffn_norm_bias: F32


class BertEncoder:
    """Token ids in, final hidden states out. Stateless after construction, so thread-safe."""

    def __init__(self, config: BertConfig, tensors: Mapping[str, NDArray[np.generic]]) -> None:
        self.config = config
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""

        def get(name: str) -> F32:
            key = prefix + name
            if key not in tensors:
                raise KeyError(f"weight {key!r} is missing from the checkpoint")
            return np.ascontiguousarray(tensors[key], dtype=np.float32)

        def linear(name: str) -> tuple[F32, F32]:
            # torch stores Linear weights as (out, in); keep them as (in, out) for x @ W.
            return np.ascontiguousarray(get(f"{name}.weight").T), get(f"{name}.bias")

        self.word_embeddings = get("embeddings.word_embeddings.weight")
        self.position_embeddings = get("embeddings.position_embeddings.weight")
        # Single-sentence inputs always use token type 0, so that row is folded in once.
        self.type0_embedding = get("embeddings.token_type_embeddings.weight")[0]
        self.embed_norm_gain = get("embeddings.LayerNorm.weight")
        self.embed_norm_bias = get("embeddings.LayerNorm.bias")
        self.layers: list[BertLayer] = []
        for index in range(config.num_layers):
            base = f"encoder.layer.{index}."
            parts = [linear(f"{base}attention.self.{part}") for part in ("query", "key", "value")]
            attn_out = linear(f"{base}attention.output.dense")
            ffn_in = linear(f"{base}intermediate.dense")
            ffn_out = linear(f"{base}output.dense")
            self.layers.append(
                BertLayer(
                    qkv_weight=np.ascontiguousarray(np.concatenate([w for w, _ in parts], axis=1)),
                    qkv_bias=np.concatenate([b for _, b in parts]),
                    attn_out_weight=attn_out[0],
                    attn_out_bias=attn_out[1],
                    attn_norm_gain=get(f"{base}attention.output.LayerNorm.weight"),
                    attn_norm_bias=get(f"{base}attention.output.LayerNorm.bias"),
                    ffn_in_weight=ffn_in[0],
                    ffn_in_bias=ffn_in[1],
                    ffn_out_weight=ffn_out[0],
                    ffn_out_bias=ffn_out[1],
                    ffn_norm_gain=get(f"{base}output.LayerNorm.weight"),
                    ffn_norm_bias=get(f"{base}output.LayerNorm.bias"),
                )
            )

    def forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> F32:
        """Hidden states of shape (batch, length, hidden) for padded ids and their mask."""
        cfg = self.config
        batch, length = ids.shape
        if length > cfg.max_positions:
            raise ValueError(f"sequence of {length} tokens exceeds {cfg.max_positions}")
        heads, hidden = cfg.num_heads, cfg.hidden_size
        head_dim = hidden // heads
        eps = cfg.layer_norm_eps

        x = self.word_embeddings[ids]
        x += self.position_embeddings[:length]
        x += self.type0_embedding
        x = layer_norm(x, self.embed_norm_gain, self.embed_norm_bias, eps).reshape(-1, hidden)

        score_bias: F32 = np.where(mask[:, None, None, :] > 0, np.float32(0.0), _MASKED)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in self.layers:
            qkv = x @ layer.qkv_weight
            qkv += layer.qkv_bias
            qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0] * scale, qkv[1], qkv[2]
            scores: F32 = query @ key.transpose(0, 1, 3, 2)
            scores += score_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(-1, hidden)

            attended = context @ layer.attn_out_weight
            attended += layer.attn_out_bias
            attended += x
            x = layer_norm(attended, layer.attn_norm_gain, layer.attn_norm_bias, eps)

            inner: F32 = x @ layer.ffn_in_weight
            inner += layer.ffn_in_bias
            gelu_(inner)
            out: F32 = inner @ layer.ffn_out_weight
            out += layer.ffn_out_bias
            out += x
            x = layer_norm(out, layer.ffn_norm_gain, layer.ffn_norm_bias, eps)
        return x.reshape(batch, length, hidden)
