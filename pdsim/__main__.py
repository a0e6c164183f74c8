"""`python -m pdsim` — see pdsim.cli."""

from pdsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
