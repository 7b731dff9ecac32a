"""`python -m trm_hub` (and `torchrun -m trm_hub`): the same as the `trm-hub` command."""

from trm_hub.cli import main

if __name__ == "__main__":
    main()
