"""RDKit helpers: parsing with RDKit's reason on failure, canonical/random SMILES, parent fragments, scaffolds, fingerprints."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

MAX_SMILES_CHARS = 2000
_STAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s?")
_PREFIX = "SMILES Parse Error: "


@contextmanager
def _captured_log() -> Iterator[list[str]]:
    """Collect RDKit's error log instead of printing it (silenced where capture is unavailable)."""
    lines: list[str] = []
    capture = getattr(rdBase, "CaptureErrorLog", None)
    if capture is None:
        with rdBase.BlockLogs():
            yield lines
        return
    with capture() as log:
        yield lines
    lines.extend(str(log.messages).splitlines())


def _reason(lines: Sequence[str], smiles: str) -> str:
    """RDKit's log lines about one SMILES -> one readable clause."""
    parts: list[str] = []
    for raw in lines:
        line = _STAMP.sub("", raw).strip()
        if line.startswith(_PREFIX):
            line = line[len(_PREFIX):]
        if not line or line == smiles or set(line) <= {"^", "~", " "} or line.startswith("Failed parsing SMILES"):
            continue
        line = " ".join(line.split())
        if line.startswith("check for mistakes around position"):
            line = line.rstrip(":")
        if line not in parts:
            parts.append(line)
    return "; ".join(parts)


def _sanitize_problem(smiles: str) -> str:
    """RDKit's description of why an unsanitised parse fails sanitisation (empty if none is found)."""
    with rdBase.BlockLogs():
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
        if raw is None:
            return ""
        problems = Chem.DetectChemistryProblems(raw)
    return " ".join(problems[0].Message().split()) if problems else ""


def parse_smiles(smiles: Any, where: str = "SMILES") -> Chem.Mol:
    """An RDKit molecule from a SMILES string, or a ValueError with RDKit's reason."""
    if not isinstance(smiles, str):
        raise ValueError(f"{where} must be a string, got {type(smiles).__name__}")
    text = smiles.strip()
    if not text:
        raise ValueError(f"{where} is empty")
    if len(text) > MAX_SMILES_CHARS:
        raise ValueError(f"{where} has {len(text)} characters; at most {MAX_SMILES_CHARS} are accepted")
    if any(ch.isspace() for ch in text):
        raise ValueError(f"{where} '{text}' contains whitespace; give one SMILES per string")
    with _captured_log() as lines:
        mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        reason = _reason(lines, text) or _sanitize_problem(text) or "RDKit could not read it"
        if mol is not None:
            reason = "it has no atoms"
        raise ValueError(f"invalid {where} '{text}': {reason}")
    return mol


def canonical_smiles(smiles: str, where: str = "SMILES") -> str:
    """RDKit's canonical isomeric SMILES for a molecule (raises ValueError when invalid)."""
    return Chem.MolToSmiles(parse_smiles(smiles, where))


@dataclass(frozen=True)
class Parent:
    """The fragment of a molecule that is predicted, and the fragments left out (canonical SMILES)."""

    smiles: str
    dropped: tuple[str, ...] = ()


def parent_molecule(smiles: str) -> Parent:
    """A salt's or mixture's parent: its largest organic fragment by heavy atoms, neutralised where possible.

    A single-fragment molecule is its own parent, unchanged (charges included). For several
    fragments RDKit's `LargestFragmentChooser` (organic fragments first, ties broken by RDKit)
    picks one and `Uncharger` neutralises it, since its counter-ions are gone; the other fragments
    are listed in `dropped`.
    """
    from rdkit.Chem.MolStandardize import rdMolStandardize

    mol = parse_smiles(smiles)
    fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=True)
    if len(fragments) == 1:
        return Parent(Chem.MolToSmiles(mol))
    params = rdMolStandardize.CleanupParameters()
    params.preferOrganic = True
    params.largestFragmentChooserCountHeavyAtomsOnly = True
    with rdBase.BlockLogs():
        chosen = rdMolStandardize.LargestFragmentChooser(params).choose(mol)
        parent = Chem.MolToSmiles(rdMolStandardize.Uncharger().uncharge(chosen))
    chosen_smiles = Chem.MolToSmiles(chosen)
    dropped = [Chem.MolToSmiles(f) for f in fragments]
    dropped.remove(chosen_smiles)
    return Parent(parent, tuple(dropped))


def random_smiles(smiles: str, count: int, seed: int) -> list[str]:
    """`count` randomised (non-canonical) SMILES of the same molecule, reproducible from the seed."""
    mol = parse_smiles(smiles)
    rdkit_seed = int(seed) % (2**31 - 2) + 1
    return list(Chem.MolToRandomSmilesVect(mol, count, randomSeed=rdkit_seed))


def murcko_scaffold(smiles: str) -> str:
    """Bemis-Murcko scaffold as canonical SMILES ('' for a molecule without rings)."""
    return MurckoScaffold.MurckoScaffoldSmiles(mol=parse_smiles(smiles), includeChirality=False)


def morgan_fingerprints(smiles: Sequence[str], radius: int = 2, bits: int = 2048) -> np.ndarray:
    """Morgan (ECFP-like) bit fingerprints [N, bits] as uint8."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)
    out = np.zeros((len(smiles), bits), dtype=np.uint8)
    for i, text in enumerate(smiles):
        out[i] = generator.GetFingerprintAsNumPy(parse_smiles(text))
    return out


def drawing(smiles: str, width: int = 260, height: int = 200) -> str:
    """An SVG drawing of a molecule (RDKit's 2D depiction)."""
    from rdkit.Chem.Draw import rdMolDraw2D

    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False
    drawer.DrawMolecule(rdMolDraw2D.PrepareMolForDrawing(parse_smiles(smiles)))
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.index("<svg"):]
