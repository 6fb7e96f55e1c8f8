"""An independent float64 re-implementation of all-MiniLM-L6-v2, used only as a test oracle.

It shares no code with `axo_tui.core.embeddings`: its own safetensors parsing, its own BERT
WordPiece tokenizer read from `vocab.txt` (not `tokenizer.json`), float64 arithmetic, the exact
`math.erf`, and per-sentence, per-head loops written the way the BERT paper describes them.
Agreement between the two to 1e-5 is therefore evidence, not a tautology.
"""

from __future__ import annotations

import json
import math
import struct
import unicodedata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


def load_weights(model_dir: Path) -> dict[str, F64]:
    raw = (model_dir / "model.safetensors").read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    body = raw[8 + header_len :]
    weights: dict[str, F64] = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype="<f4").reshape(entry["shape"])
        weights[name] = array.astype(np.float64)
    return weights


class WordPiece:
    """BERT's uncased BasicTokenizer + WordPiece, after the original Google implementation."""

    def __init__(self, vocab_file: Path) -> None:
        tokens = vocab_file.read_text(encoding="utf-8").splitlines()
        self.vocab = {token: index for index, token in enumerate(tokens)}

    @staticmethod
    def _is_punctuation(char: str) -> bool:
        code = ord(char)
        if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
            return True
        return unicodedata.category(char).startswith("P")

    def _basic(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words: list[str] = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if self._is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> list[int]:
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.vocab["[UNK]"]]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_tokens: int) -> list[int]:
        ids = [piece for word in self._basic(text) for piece in self._pieces(word)]
        ids = ids[: max_tokens - 2]
        return [self.vocab["[CLS]"], *ids, self.vocab["[SEP]"]]


def _layer_norm(x: F64, gain: F64, bias: F64) -> F64:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: F64 = (x - mean) / np.sqrt(var + 1e-12) * gain + bias
    return result


_erf = np.vectorize(math.erf)


class ReferenceMiniLM:
    def __init__(self, model_dir: Path) -> None:
        self.w = load_weights(model_dir)
        self.tokenizer = WordPiece(model_dir / "vocab.txt")

    def _linear(self, x: F64, name: str) -> F64:
        result: F64 = x @ self.w[name + ".weight"].T + self.w[name + ".bias"]
        return result

    def embed(self, text: str) -> F64:
        w = self.w
        ids = self.tokenizer.encode(text, 256)
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            q = self._linear(x, p + "attention.self.query")
            k = self._linear(x, p + "attention.self.key")
            v = self._linear(x, p + "attention.self.value")
            heads = []
            for h in range(12):
                cols = slice(32 * h, 32 * (h + 1))
                scores = q[:, cols] @ k[:, cols].T / math.sqrt(32)
                probs = np.exp(scores - scores.max(axis=1, keepdims=True))
                probs /= probs.sum(axis=1, keepdims=True)
                heads.append(probs @ v[:, cols])
            attended = self._linear(np.concatenate(heads, axis=1), p + "attention.output.dense")
            x = _layer_norm(
                attended + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = self._linear(x, p + "intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))
            x = _layer_norm(
                self._linear(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = x.mean(axis=0)  # one unpadded sentence: every token counts
        result: F64 = pooled / np.linalg.norm(pooled)
        return result
