"""Atom-level SMILES tokenizer and the plugin's fixed vocabulary (stored as JSON beside the data)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

PAD = "<pad>"
UNK = "<unk>"
SPECIALS = (PAD, UNK)
VOCAB_FILE = "vocab.json"

TOKEN_PATTERN = re.compile(
    r"\[[^\[\]]+\]"  # bracket atom, e.g. [nH], [C@@H], [O-], [13CH3]
    r"|Br|Cl"  # two-letter atoms of the organic subset
    r"|%\d\d|%\(\d+\)"  # ring-bond numbers above 9
    r"|[BCNOPSFI]|[bcnops]"  # one-letter atoms, aliphatic and aromatic
    r"|\d"  # ring-bond digit
    r"|[-=#$:/\\.~()*]"  # bonds, branches, dot, wildcard
)


def tokenize(smiles: str) -> list[str]:
    """Split a SMILES string into atom-level tokens; joining them gives the string back."""
    tokens: list[str] = []
    position = 0
    while position < len(smiles):
        match = TOKEN_PATTERN.match(smiles, position)
        if match is None:
            raise ValueError(
                f"cannot split SMILES '{smiles}' into tokens: {smiles[position]!r} at position {position} "
                "is not part of a SMILES token"
            )
        tokens.append(match.group())
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id table with a fixed sequence length; id 0 is padding, id 1 stands for unknown tokens."""

    tokens: tuple[str, ...]
    max_len: int
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[: len(SPECIALS)] != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a vocabulary must not repeat tokens")
        object.__setattr__(self, "index", {token: i for i, token in enumerate(self.tokens)})

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    @property
    def unk_id(self) -> int:
        return self.index[UNK]

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, smiles: str, max_len: int | None = None) -> np.ndarray:
        """SMILES -> token ids [max_len], padded; unknown tokens map to <unk>; too long is a ValueError."""
        length = max_len or self.max_len
        tokens = tokenize(smiles)
        if len(tokens) > length:
            raise ValueError(
                f"SMILES '{smiles}' has {len(tokens)} tokens; the molecule model reads at most {length}"
            )
        ids = np.full(length, self.pad_id, dtype=np.int64)
        ids[: len(tokens)] = [self.index.get(token, self.unk_id) for token in tokens]
        return ids

    def encode_many(self, smiles: Sequence[str], max_len: int | None = None) -> np.ndarray:
        """Several SMILES -> [N, max_len] token ids."""
        length = max_len or self.max_len
        if not smiles:
            return np.zeros((0, length), dtype=np.int64)
        return np.stack([self.encode(s, length) for s in smiles])

    def decode(self, ids: Iterable[int]) -> str:
        """Token ids -> SMILES (padding dropped, unknown tokens shown as '?')."""
        out = []
        for i in ids:
            token = self.tokens[int(i)]
            if token == PAD:
                continue
            out.append("?" if token == UNK else token)
        return "".join(out)

    def to_json(self) -> dict[str, object]:
        return {"specials": list(SPECIALS), "tokens": list(self.tokens[len(SPECIALS):]), "max_len": self.max_len}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Vocabulary":
        specials = tuple(data["specials"])  # type: ignore[arg-type]
        if specials != SPECIALS:
            raise ValueError(f"vocabulary specials {specials} differ from {SPECIALS}")
        return cls(specials + tuple(data["tokens"]), int(data["max_len"]))  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def vocab_path() -> Path:
    return Path(str(resources.files("trm_hub_plugins.molecule").joinpath("data").joinpath(VOCAB_FILE)))


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The plugin's shipped vocabulary."""
    return Vocabulary.load(vocab_path())


RING_DIGITS = tuple(str(d) for d in range(10))
RANDOM_VARIANTS = 10
VOCAB_SEED = 0


def build_vocabulary(
    smiles: Iterable[str], max_len: int, variants: int = RANDOM_VARIANTS, seed: int = VOCAB_SEED
) -> Vocabulary:
    """Vocabulary of the tokens in `smiles` and in `variants` randomised SMILES of each, plus all ring digits."""
    from trm_hub_plugins.molecule.chem import random_smiles

    seen: dict[str, int] = {}
    for i, text in enumerate(smiles):
        forms = [text, *(random_smiles(text, variants, seed + i) if variants else [])]
        for form in forms:
            for token in tokenize(form):
                seen[token] = seen.get(token, 0) + 1
    for digit in RING_DIGITS:
        seen.setdefault(digit, 0)
    ordered = sorted(seen, key=lambda t: (-seen[t], t))
    return Vocabulary(SPECIALS + tuple(ordered), max_len)


DEFAULT_MAX_LEN = 128


def dataset_vocabulary(max_len: int = DEFAULT_MAX_LEN) -> Vocabulary:
    """Rebuild the shipped vocabulary from the three data sets' canonical SMILES and their random forms."""
    from trm_hub_plugins.molecule.data import load_dataset
    from trm_hub_plugins.molecule.properties import PROPERTIES

    smiles = sorted({s for name in PROPERTIES for s in load_dataset(name).smiles})
    return build_vocabulary(smiles, max_len)
