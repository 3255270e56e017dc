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
import re
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


_LSPCI_DEVICE = re.compile(r"^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) .*?\[([0-9a-f]{4})\]: .*"
                           r"\[([0-9a-f]{4}):([0-9a-f]{4})\]")
_CONSUMER_BRANDS = ("GeForce", "Quadro", "NVIDIA RTX", "Titan", "TITAN")


def _uevent(driver: str | None, pci_class: str, vendor: str, device: str,  # noqa: PLR0917
            subsys: str | None, address: str) -> str:
    """A PCI uevent with the keys the kernel writes (MODALIAS left out: unused)."""
    lines = [f"DRIVER={driver}"] if driver else []
    lines += [f"PCI_CLASS={pci_class}", f"PCI_ID={vendor.upper()}:{device.upper()}"]
    if subsys:
        lines.append(f"PCI_SUBSYS_ID={subsys.upper()}")
    lines.append(f"PCI_SLOT_NAME={address}")
    return "\n".join(lines) + "\n"


def pci_from_lspci(text: str) -> dict[str, str]:
    """PCI address → uevent, for the NVIDIA/AMD display functions of ``lspci -nnk`` output."""
    found: dict[str, str] = {}
    current: dict[str, str | None] | None = None
    for line in [*text.splitlines(), ""]:
        m = _LSPCI_DEVICE.match(line)
        if m or not line.startswith((" ", "\t", "Subsystem", "Kernel")):
            if current and current["vendor"] in ("10de", "1002") and str(
                    current["class"]).startswith("03"):
                address = f"0000:{current['slot']}"
                found[address] = _uevent(current["driver"], f"{int(str(current['class']), 16):x}00",
                                         str(current["vendor"]), str(current["device"]),
                                         current["subsys"], address)
            current = None
        if m:
            current = {"slot": m.group(1), "class": m.group(2), "vendor": m.group(3),
                       "device": m.group(4), "subsys": None, "driver": None}
            continue
        if current is None:
            continue
        stripped = line.strip()
        sub = re.search(r"\[([0-9a-f]{4}:[0-9a-f]{4})\]\s*$", stripped)
        if stripped.startswith("Subsystem:") and sub:
            current["subsys"] = sub.group(1)
        elif stripped.startswith("Kernel driver in use:"):
            current["driver"] = stripped.split(":", 1)[1].strip()
    return found


def pci_from_smi_xml(text: str) -> dict[str, str]:
    """PCI address → uevent for each GPU of ``nvidia-smi -q -x`` (the nvidia driver is bound).

    The XML does not carry the PCI class: GeForce/Quadro/RTX/Titan boards are written as
    VGA controllers (0x0300), the others as 3D controllers (0x0302), as NVIDIA builds them.
    """
    found = {}
    for gpu in re.findall(r'<gpu id="([^"]+)">(.*?)</gpu>', text, re.DOTALL):
        bus_id, body = gpu
        address = bus_id[-12:].lower() if len(bus_id) > 12 else bus_id.lower()
        address = f"0000:{address[-7:]}" if not address.startswith("0000") else address
        ids = re.search(r"<pci_device_id>([0-9A-Fa-f]{8})</pci_device_id>", body)
        subsys = re.search(r"<pci_sub_system_id>([0-9A-Fa-f]{8})</pci_sub_system_id>", body)
        brand = re.search(r"<product_brand>([^<]*)</product_brand>", body)
        if not ids:
            continue
        device, vendor = ids.group(1)[:4], ids.group(1)[4:]
        klass = "30000" if brand and brand.group(1).startswith(_CONSUMER_BRANDS) else "30200"
        sub = f"{subsys.group(1)[4:]}:{subsys.group(1)[:4]}" if subsys else None
        found[address] = _uevent("nvidia", klass, vendor, device, sub, address)
    return found


def _listing(spec: dict[str, Any], place: Any) -> int:  # noqa: ANN401 - path maker
    """Create the empty files a listing names; return how many were made."""
    listing = (RECORDINGS / spec["from"]).read_text(encoding="utf-8")
    prefix = spec.get("prefix", "")
    count = 0
    for line in listing.splitlines():
        if line.startswith(("#", "total ")) or not line.strip():
            continue
        quoted = re.search(r"'([^']+)'\s*$", line)  # ls quotes names with spaces
        if quoted:
            name = quoted.group(1)
        elif "," in line and " " not in line.strip():
            name = line.split(",", 1)[0]  # a dist-info RECORD line: path,hash,size
        else:
            name = line.split()[-1]
        if not prefix:
            name = name.rsplit("/", 1)[-1]
        if name.startswith(prefix) and name[len(prefix):] and not name.endswith("/"):
            dest = place(name[len(prefix):])
            if not dest.exists():  # a real file copied from a tree stays
                dest.write_bytes(b"")
                count += 1
    return count


def pci_from_rocm_smi(text: str) -> dict[str, str]:
    """PCI address → uevent for each card of ``rocm-smi --json`` (PCI Bus, Device ID).

    rocm-smi only sees GPUs the amdgpu driver owns; a consumer Radeon is a VGA controller.
    """
    found = {}
    for card in json.loads(text).values():
        if not isinstance(card, dict) or "PCI Bus" not in card:
            continue
        device = str(card.get("Device ID") or card.get("Card Model", "")).lower().removeprefix("0x")
        if len(device) != 4:
            continue
        subsystem = str(card.get("Subsystem ID", "")).lower().removeprefix("0x")
        address = card["PCI Bus"].lower()
        found[address] = _uevent("amdgpu", "30000", "1002", device,
                                 f"1002:{subsystem}" if len(subsystem) == 4 else None, address)
    return found


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
    for path, specs in sorted(manifest.get("trees", {}).items()):
        # Recorded folders (files taken from wheels) copied under ``path``.
        for spec in specs if isinstance(specs, list) else [specs]:
            for name in spec["only"]:
                src = RECORDINGS / spec["from"] / name
                dest = target(f"{path}/{name}")
                if src.is_dir():
                    shutil.copytree(src, dest, dirs_exist_ok=True)
                else:
                    shutil.copyfile(src, dest)
            provenance.append(f"| `{path}/{{{','.join(spec['only'])}}}` | `{spec['from']}` | "
                              f"{_source_note(spec['from'])} |")
    for path, specs in sorted(manifest.get("listings", {}).items()):
        # Empty files named as a recorded listing names them (a wheel's central directory or
        # RECORD, an `ls`): the names are the recorded fact, the contents binaries we do not
        # need.
        for spec in specs if isinstance(specs, list) else [specs]:
            count = _listing(spec, lambda name, p=path: target(f"{p}/{name}"))
            provenance.append(f"| `{path}/` ({count} empty files) | names from `{spec['from']}` "
                              f"| {_source_note(spec['from'])} |")
    for rel in manifest.get("ldconfig_files", []):
        # The libraries an `ldconfig -p` recording names, as empty files at their paths
        # (what matters is where they are and what they are called).
        paths = re.findall(r"=>\s*(/\S+)", (RECORDINGS / rel).read_text(encoding="utf-8"))
        made = []
        for path in paths:
            dest = target(path)
            if not dest.exists():
                dest.write_bytes(b"")
                made.append(path)
        provenance.append(f"| {', '.join(f'`{m}`' for m in made)} (empty) | paths in `{rel}` | "
                          f"{_source_note(rel)} |")
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
    for spec in manifest.get("pci", []):
        # Sysfs PCI entries written in the kernel's uevent format from a recording that
        # names the same ids: `lspci -nnk`, `nvidia-smi -q -x`, or a recorded uevent.
        if "uevent" in spec:
            text = (RECORDINGS / spec["uevent"]).read_text(encoding="utf-8")
            slot = re.search(r"^PCI_SLOT_NAME=(\S+)", text, re.MULTILINE)
            devices = {slot.group(1) if slot else "0000:00:00.0": text}
            rel, how = spec["uevent"], "recorded uevent"
        elif "rocm_smi_json" in spec:
            rel = spec["rocm_smi_json"]
            how = "uevent from rocm-smi --json (class VGA, amdgpu bound)"
            devices = pci_from_rocm_smi((RECORDINGS / rel).read_text(encoding="utf-8"))
        elif "lspci" in spec:
            rel, how = spec["lspci"], "uevent from lspci -nnk"
            devices = pci_from_lspci((RECORDINGS / rel).read_text(encoding="utf-8"))
        else:
            rel, how = spec["smi_xml"], "uevent from nvidia-smi -q -x (class by brand)"
            devices = pci_from_smi_xml((RECORDINGS / rel).read_text(encoding="utf-8"))
        for address, text in sorted(devices.items()):
            target(f"/sys/bus/pci/devices/{address}/uevent").write_text(text)
        provenance.append(f"| `/sys/bus/pci/devices/{{{','.join(sorted(devices))}}}/uevent` | "
                          f"`{rel}` ({how}) | {_source_note(rel)} |")
    if "module_version_from_smi" in manifest:
        rel = manifest["module_version_from_smi"]
        version = re.search(r"<driver_version>([^<]+)<", (RECORDINGS / rel).read_text())
        if version is None:
            raise SystemExit(f"{rel} has no <driver_version>")
        target("/sys/module/nvidia/version").write_text(version.group(1) + "\n")
        provenance.append(f"| `/sys/module/nvidia/version` | driver_version of `{rel}` | "
                          "the loaded module is the driver nvidia-smi reports |")
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

    if "docker_json" in manifest:
        # The Docker engine's answer, replayed by the recorded Docker adapter.
        info = json.loads((RECORDINGS / manifest["docker_json"]).read_text(encoding="utf-8"))
        (out / "docker.json").write_text(json.dumps({"info": info}, indent=2) + "\n")
        provenance.append(f"| `docker.json` (the engine's answer) | `{manifest['docker_json']}` | "
                          f"{_source_note(manifest['docker_json'])} |")
    host = dict(manifest.get("host", {}))
    for rel in manifest.get("device_stats", []):
        # Mode and group of device nodes as `ls -l` printed them (git cannot carry devices).
        stats = host.setdefault("stats", {})
        for line in (RECORDINGS / rel).read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(c[rwx-]{9})\s+\d+\s+(\S+)\s+(\S+)\s+\d+,\s*\d+\s+.*\s(\S+)$", line)
            if not m:
                continue
            mode_text, owner, group, path = m.groups()
            if not path.startswith("/dev/"):
                path = f"/dev/dri/{path}" if path.startswith(("renderD", "card")) else (
                    f"/dev/{path}")
            bits = 0
            for i, ch in enumerate(mode_text[1:]):
                if ch != "-":
                    bits |= 1 << (8 - i)
            stats[path] = {"mode": f"020{bits:03o}", "uid": 0 if owner == "root" else 1000,
                           "group": group}
        provenance.append(f"| device nodes in `host.json` stats | `{rel}` | {_source_note(rel)} |")
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


GENERATED = ("root", "commands", "host.json", "README.md", "docker.json", "nvml.json")


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
