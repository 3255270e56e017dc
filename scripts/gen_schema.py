"""Write the published JSON Schemas (envdoctor/schema/*.json) from the dataclasses.

Usage:
    python scripts/gen_schema.py           # rewrite the files
    python scripts/gen_schema.py --check   # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from envdoctor._schema import SCHEMAS

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "envdoctor" / "schema"


def render(name: str) -> str:
    """The exact text of one schema file."""
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check every schema file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name in SCHEMAS:
        path = SCHEMA_DIR / name
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python scripts/gen_schema.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
