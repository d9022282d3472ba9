"""`python -m lab ...` is the same as the `lab` console script."""

from lab.cli import main

raise SystemExit(main())
