"""Assemble recorded test hosts from their manifests.

Each ``tests/hosts/<id>/manifest.json`` says which recorded real file (under
``tests/recordings/``) goes where in the host's root tree, which recorded command
outputs it serves, and what a tree cannot carry (environment, user, interpreter,
device permissions, recorded faults). This script writes ``root/``, ``commands/``,
``host.json`` and ``README.md`` (with the provenance of every file) from it, so a host
can only contain recorded data, plus the few literal files its manifest justifies.

Usage:
    python scripts/build_test_hosts.py            # rebuild every host
    python scripts/build_test_hosts.py --check    # exit 1 if a committed host differs
    python scripts/build_test_hosts.py HOST_ID    # rebuild one
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RECORDINGS = REPO / "tests" / "recordings"
HOSTS = REPO / "tests" / "hosts"


def _source_note(rel: str) -> str:
    """First lines of the ``.source`` beside a recording, or beside the folder holding it."""
    if rel.startswith("../reports/") and rel.endswith(".txt"):
        meta = json.loads((RECORDINGS / rel[:-4]).with_suffix(".json").read_text())
        return f"pasted in {meta['source_url']} ({meta.get('date', 'date unknown')})"
    parts = rel.split("/")
    for depth in range(len(parts), 0, -1):
        source = RECORDINGS / ("/".join(parts[:depth]) + ".source")
        if source.exists():
            break
    else:
        raise SystemExit(f"recording {rel} has no .source file")
    lines = [ln.strip() for ln in source.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return " ".join(lines[:3])[:300]


def _transform(data: bytes, how: str) -> bytes:
    """Deliberate damage for broken hosts: ``truncate:N``, ``append-binary``, ``empty``."""
    if how.startswith("truncate:"):
        return data[: int(how.split(":", 1)[1])]
    if how == "append-binary":
        return data + bytes(range(256)) * 4
    if how == "binary-prefix":
        return bytes(range(256)) * 2 + data
    if how == "empty":
        return b""
    raise SystemExit(f"unknown transform {how!r}")


def build(host_dir: Path, out: Path) -> None:
    """Write the host described by ``host_dir/manifest.json`` into ``out``."""
    manifest: dict[str, Any] = json.loads((host_dir / "manifest.json").read_text())
    root = out / "root"
    commands = out / "commands"
    root.mkdir(parents=True)
    provenance: list[str] = []

    def target(path: str) -> Path:
        dest = root / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest

    for path, rel in sorted(manifest.get("files", {}).items()):
        shutil.copyfile(RECORDINGS / rel, target(path))
        provenance.append(f"| `{path}` | `{rel}` | {_source_note(rel)} |")
    for path, spec in sorted(manifest.get("trees", {}).items()):
        # A recorded folder (files taken from a wheel) copied under ``path``.
        for name in spec["only"]:
            src = RECORDINGS / spec["from"] / name
            dest = target(f"{path}/{name}")
            if src.is_dir():
                shutil.copytree(src, dest, dirs_exist_ok=True)
            else:
                shutil.copyfile(src, dest)
        provenance.append(f"| `{path}/{{{','.join(spec['only'])}}}` | `{spec['from']}` | "
                          f"{_source_note(spec['from'])} |")
    for path, spec in sorted(manifest.get("listings", {}).items()):
        # Empty files named as a recorded listing names them (a wheel's central directory,
        # an `ls`): the names are the recorded fact, the contents are binaries we do not need.
        listing = (RECORDINGS / spec["from"]).read_text(encoding="utf-8")
        prefix = spec.get("prefix", "")
        count = 0
        for line in listing.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name = line.split()[-1]
            if name.startswith(prefix) and name[len(prefix):] and not name.endswith("/"):
                target(f"{path}/{name[len(prefix):]}").write_bytes(b"")
                count += 1
        provenance.append(f"| `{path}/` ({count} empty files) | names from `{spec['from']}` | "
                          f"{_source_note(spec['from'])} |")
    for prefix, rel in sorted(manifest.get("conda_listings", {}).items()):
        # conda-meta entries named from a recorded `conda list` ([conda] lines of a
        # collect_env report): the name-version-build is the recorded fact.
        count = 0
        for line in (RECORDINGS / rel).read_text(encoding="utf-8").splitlines():
            words = line.replace("[conda]", " [conda] ").split()
            if "[conda]" not in words:
                continue
            fields = words[words.index("[conda]") + 1:]
            if len(fields) >= 3:
                name, version, build = fields[:3]
                target(f"{prefix}/conda-meta/{name}-{version}-{build}.json").write_text("{}\n")
                count += 1
        provenance.append(f"| `{prefix}/conda-meta/` ({count} entries) | `[conda]` lines of "
                          f"`{rel}` | {_source_note(rel)} |")
    if "dmi" in manifest:
        # A recorded table of DMI strings: one sysfs file per key, as the kernel writes them.
        table = json.loads((RECORDINGS / manifest["dmi"]).read_text(encoding="utf-8"))
        for key, value in sorted(table.items()):
            target(f"/sys/class/dmi/id/{key}").write_text(f"{value}\n", encoding="utf-8")
        provenance.append(f"| `/sys/class/dmi/id/*` ({', '.join(sorted(table))}) | "
                          f"`{manifest['dmi']}` | {_source_note(manifest['dmi'])} |")
    for path, spec in sorted(manifest.get("derived", {}).items()):
        data = (RECORDINGS / spec["from"]).read_bytes()
        target(path).write_bytes(_transform(data, spec["transform"]))
        provenance.append(f"| `{path}` | `{spec['from']}`, {spec['transform']} | "
                          f"deliberately damaged: {spec['why']} |")
    for path, spec in sorted(manifest.get("literal", {}).items()):
        target(path).write_text(spec["text"], encoding="utf-8")
        provenance.append(f"| `{path}` | literal `{spec['text'].strip()[:40]}` | {spec['why']} |")
    for path in sorted(manifest.get("dirs", [])):
        target(path.rstrip("/") + "/.keep").write_text("")
    for path, link in sorted(manifest.get("symlinks", {}).items()):
        dest = target(path)
        dest.symlink_to(link)
        provenance.append(f"| `{path}` | symlink → `{link}` | {manifest.get('symlink_why', '')} |")

    cmd_rows = []
    for argv, raw_spec in sorted(manifest.get("commands", {}).items()):
        from envdoctor.host import command_slug  # noqa: PLC0415 - the runner's own naming

        slug = command_slug(argv.split())
        commands.mkdir(exist_ok=True)
        spec = {"stdout": raw_spec} if isinstance(raw_spec, str) else raw_spec
        if spec.get("timeout"):
            (commands / f"{slug}.timeout").write_text("")
            cmd_rows.append(f"| `{argv}` | hangs (recorded as a timeout) | {spec.get('why', '')} |")
            continue
        if "stdout" in spec:
            shutil.copyfile(RECORDINGS / spec["stdout"], commands / f"{slug}.txt")
        else:
            (commands / f"{slug}.txt").write_text("")
        if "stderr" in spec:
            (commands / f"{slug}.stderr").write_text(spec["stderr"])
        if "rc" in spec:
            (commands / f"{slug}.rc").write_text(f"{spec['rc']}\n")
        src = spec.get("stdout")
        note = _source_note(src) if src else spec.get("why", "")
        cmd_rows.append(f"| `{argv}` | `{src}` | {note} |")

    host = manifest.get("host", {})
    (out / "host.json").write_text(json.dumps(host, indent=2, sort_keys=True) + "\n")
    readme = [
        f"# {manifest['title']}",
        "",
        "Generated by `scripts/build_test_hosts.py` from `manifest.json`; do not edit.",
        "",
        manifest["story"],
        "",
        "## Files in `root/`",
        "",
        "| path | recording (under `tests/recordings/`) | where it was recorded |",
        "|---|---|---|",
        *provenance,
    ]
    if cmd_rows:
        readme += ["", "## Commands", "", "| command | recording | source |", "|---|---|---|",
                   *cmd_rows]
    if host:
        readme += ["", "## What the tree cannot carry (`host.json`)", "",
                   manifest.get("host_why", "Environment, user and interpreter of the scenario.")]
    (out / "README.md").write_text("\n".join(readme) + "\n")


def _same_tree(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    diffs: list[str] = []

    def walk(c: filecmp.dircmp[str], prefix: str) -> None:
        diffs.extend(f"{prefix}{n}" for n in c.left_only + c.right_only + c.diff_files
                     + c.funny_files)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(cmp, "")
    return diffs


GENERATED = ("root", "commands", "host.json", "README.md")


def main(argv: list[str] | None = None) -> int:
    """Build or check recorded hosts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hosts", nargs="*", help="host ids (default: all)")
    parser.add_argument("--check", action="store_true", help="fail if a host is out of date")
    args = parser.parse_args(argv)
    ids = args.hosts or sorted(p.name for p in HOSTS.iterdir() if (p / "manifest.json").exists())
    stale = []
    for host_id in ids:
        host_dir = HOSTS / host_id
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / host_id
            build(host_dir, out)
            if args.check:
                for name in GENERATED:
                    built, committed = out / name, host_dir / name
                    if built.exists() != committed.exists():
                        stale.append(f"{host_id}/{name}")
                    elif built.is_dir():
                        stale += [f"{host_id}/{name}/{d}" for d in _same_tree(built, committed)]
                    elif built.exists() and built.read_bytes() != committed.read_bytes():
                        stale.append(f"{host_id}/{name}")
                continue
            for name in GENERATED:
                committed = host_dir / name
                if committed.is_dir():
                    shutil.rmtree(committed)
                elif committed.exists():
                    committed.unlink()
                if (out / name).exists():
                    shutil.move(str(out / name), committed)
            print(f"built tests/hosts/{host_id}")
    if stale:
        print("out of date (run python scripts/build_test_hosts.py):\n  " + "\n  ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
