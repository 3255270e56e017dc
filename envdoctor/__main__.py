"""``python -m envdoctor``: the same entry point as the ``envdoctor`` script."""

from envdoctor.cli import main

raise SystemExit(main())
