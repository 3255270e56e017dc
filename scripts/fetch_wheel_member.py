"""Read chosen members of a remote wheel (a zip file) with HTTP Range requests.

A CUDA build of torch is several hundred megabytes to a few gigabytes, but the files
envdoctor needs from it (``torch/version.py``, ``*.dist-info/METADATA``) are a few
kilobytes.  This script fetches only the zip's end-of-central-directory record, the
central directory, and the local header plus compressed bytes of each chosen member.

It can also resolve a wheel from PyPI's JSON API (``--pypi PROJECT==VERSION`` with
``--pick GLOB`` on the file name), so the recorded ``.source`` carries the URL and the
sha256 that PyPI publishes for the file.

Examples::

    python scripts/fetch_wheel_member.py --pypi torch==2.5.1 \
        --pick 'torch-2.5.1-cp311-cp311-manylinux1_x86_64.whl' --list '*.dist-info/*'
    python scripts/fetch_wheel_member.py URL --extract 'torch/version.py' --dest out/

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import struct
import sys
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

USER_AGENT = "envdoctor-fetch-wheel-member/1 (+recording test data)"
EOCD_SIG = b"PK\x05\x06"
ZIP64_EOCD_SIG = b"PK\x06\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
CDIR_SIG = b"PK\x01\x02"
LOCAL_SIG = b"PK\x03\x04"
# The EOCD record is 22 bytes and may be followed by a comment of up to 65535 bytes.
TAIL_BYTES = 66_000
TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of the zip central directory."""

    name: str
    """Path inside the archive."""
    method: int
    """Compression method: 0 stored, 8 deflate."""
    compressed_size: int
    """Size of the compressed data in bytes."""
    size: int
    """Uncompressed size in bytes."""
    crc: int
    """CRC-32 of the uncompressed data."""
    header_offset: int
    """Offset of the member's local file header from the start of the archive."""


@dataclass(frozen=True, slots=True)
class PypiFile:
    """A distribution file as listed by PyPI's JSON API."""

    filename: str
    """File name of the wheel or sdist."""
    url: str
    """Download address on files.pythonhosted.org."""
    sha256: str
    """The sha256 digest PyPI publishes for the file."""
    size: int
    """File size in bytes."""


def _request(url: str, headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
    """GET ``url`` (https only) and return the body and response headers."""
    if urllib.parse.urlsplit(url).scheme != "https":
        msg = f"refusing a non-https URL: {url}"
        raise ValueError(msg)
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})  # noqa: S310 (https checked above)
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 (https checked above)
        return resp.read(), {k.lower(): v for k, v in resp.headers.items()}


def fetch_range(url: str, start: int, end: int) -> bytes:
    """Return bytes ``start..end`` (inclusive) of ``url``; the server must honour Range."""
    body, headers = _request(url, {"Range": f"bytes={start}-{end}"})
    if "content-range" not in headers:
        msg = f"server ignored the Range request for {url}"
        raise RuntimeError(msg)
    return body


def remote_size(url: str) -> int:
    """Return the total size of ``url`` from a one-byte Range request."""
    _, headers = _request(url, {"Range": "bytes=0-0"})
    content_range = headers.get("content-range", "")
    if "/" not in content_range:
        msg = f"no Content-Range in reply for {url}"
        raise RuntimeError(msg)
    return int(content_range.rsplit("/", 1)[1])


def _canonical_url(url: str, base: str) -> str:
    """Return the files.pythonhosted.org address of a file listed at ``base``.

    Some PyPI mirrors list files with relative links (``../../packages/packages/ab/cd/…``);
    the file lives at the same hashed path under ``files.pythonhosted.org/packages/``.
    """
    absolute = urllib.parse.urljoin(base, url)
    marker = "/packages/"
    path = urllib.parse.urlsplit(absolute).path
    while path.startswith(marker + "packages/"):
        path = path[len(marker) - 1 :]
    if path.startswith(marker):
        return "https://files.pythonhosted.org" + path
    return absolute


def pypi_files(project: str, version: str) -> list[PypiFile]:
    """List the files PyPI holds for ``project==version``.

    The project-wide endpoint is used (its ``releases`` map), because some mirrors do not
    serve the per-version ``/pypi/<project>/<version>/json`` endpoint.
    """
    base = f"https://pypi.org/pypi/{project}/json"
    body, _ = _request(base)
    releases: dict[str, list[dict[str, object]]] = json.loads(body)["releases"]
    if version not in releases:
        msg = f"{project} has no release {version} on PyPI"
        raise RuntimeError(msg)
    files: list[PypiFile] = []
    for f in releases[version]:
        digests = f["digests"]
        if not isinstance(digests, dict):
            msg = f"unexpected PyPI JSON for {f.get('filename')}: no digests"
            raise TypeError(msg)
        files.append(
            PypiFile(
                str(f["filename"]),
                _canonical_url(str(f["url"]), base),
                str(digests["sha256"]),
                int(str(f["size"])),
            )
        )
    return files


def _parse_zip64_extra(extra: bytes, need: list[str]) -> dict[str, int]:
    """Read the 64-bit values named in ``need`` from a ZIP64 extra field."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001:
            values = struct.unpack_from(f"<{len(need)}Q", extra, pos + 4)
            return dict(zip(need, values, strict=True))
        pos += 4 + length
    return {}


def read_central_directory(url: str) -> list[Member]:
    """Fetch and parse the central directory of the remote zip at ``url``."""
    size = remote_size(url)
    tail_start = max(0, size - TAIL_BYTES)
    tail = fetch_range(url, tail_start, size - 1)
    eocd = tail.rfind(EOCD_SIG)
    if eocd < 0:
        msg = "end of central directory record not found"
        raise RuntimeError(msg)
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack_from("<4sHHHHIIH", tail, eocd)
    if 0xFFFFFFFF in (cd_size, cd_offset) or count == 0xFFFF:
        loc = tail.rfind(ZIP64_LOCATOR_SIG, 0, eocd)
        if loc < 0:
            msg = "ZIP64 locator not found"
            raise RuntimeError(msg)
        (zip64_eocd_offset,) = struct.unpack_from("<Q", tail, loc + 8)
        rec = fetch_range(url, zip64_eocd_offset, zip64_eocd_offset + 55)
        if rec[:4] != ZIP64_EOCD_SIG:
            msg = "ZIP64 end of central directory record not found"
            raise RuntimeError(msg)
        count, cd_size, cd_offset = struct.unpack_from("<QQQ", rec, 32)
    if cd_offset >= tail_start:
        cdir = tail[cd_offset - tail_start : cd_offset - tail_start + cd_size]
    else:
        cdir = fetch_range(url, cd_offset, cd_offset + cd_size - 1)
    members: list[Member] = []
    pos = 0
    for _ in range(count):
        if cdir[pos : pos + 4] != CDIR_SIG:
            msg = f"bad central directory entry at {pos}"
            raise RuntimeError(msg)
        (method, crc, csize, usize, nlen, xlen, clen, offset) = (
            struct.unpack_from("<H", cdir, pos + 10)
            + struct.unpack_from("<III", cdir, pos + 16)
            + struct.unpack_from("<HHH", cdir, pos + 28)
            + struct.unpack_from("<I", cdir, pos + 42)
        )
        name = cdir[pos + 46 : pos + 46 + nlen].decode("utf-8")
        extra = cdir[pos + 46 + nlen : pos + 46 + nlen + xlen]
        need = [
            field
            for field, value in (("usize", usize), ("csize", csize), ("offset", offset))
            if value == 0xFFFFFFFF
        ]
        if need:
            big = _parse_zip64_extra(extra, need)
            usize = big.get("usize", usize)
            csize = big.get("csize", csize)
            offset = big.get("offset", offset)
        members.append(Member(name, method, csize, usize, crc, offset))
        pos += 46 + nlen + xlen + clen
    return members


def read_member(url: str, member: Member) -> bytes:
    """Fetch and decompress one member of the remote zip."""
    header = fetch_range(url, member.header_offset, member.header_offset + 29)
    if header[:4] != LOCAL_SIG:
        msg = f"bad local header for {member.name}"
        raise RuntimeError(msg)
    nlen, xlen = struct.unpack_from("<HH", header, 26)
    start = member.header_offset + 30 + nlen + xlen
    if member.compressed_size == 0:
        raw = b""
    else:
        raw = fetch_range(url, start, start + member.compressed_size - 1)
    if member.method == 0:
        data = raw
    elif member.method == 8:
        data = zlib.decompress(raw, -15)
    else:
        msg = f"unsupported compression method {member.method} for {member.name}"
        raise RuntimeError(msg)
    if zlib.crc32(data) != member.crc:
        msg = f"CRC mismatch for {member.name}"
        raise RuntimeError(msg)
    return data


def _select(members: list[Member], patterns: list[str]) -> list[Member]:
    """Return the members whose names match any of the glob ``patterns``."""
    return [m for m in members if any(fnmatch.fnmatchcase(m.name, p) for p in patterns)]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("url", nargs="?", help="wheel URL (or use --pypi)")
    parser.add_argument("--pypi", metavar="PROJECT==VERSION", help="resolve the file on PyPI")
    parser.add_argument("--pick", metavar="GLOB", help="file name glob for --pypi")
    parser.add_argument("--files", action="store_true", help="list PyPI files and exit")
    parser.add_argument("--list", nargs="*", metavar="GLOB", help="list members (matching)")
    parser.add_argument("--extract", nargs="+", metavar="GLOB", default=[], help="members")
    parser.add_argument("--dest", type=Path, default=Path(), help="extract under this folder")
    parser.add_argument("--flat", action="store_true", help="drop member folders on extract")
    args = parser.parse_args(argv)

    url: str | None = args.url
    if args.pypi:
        project, _, version = args.pypi.partition("==")
        files = pypi_files(project, version)
        if args.files or not args.pick:
            for f in files:
                print(f"{f.filename}\t{f.size}\t{f.sha256}")
            return 0
        chosen = [f for f in files if fnmatch.fnmatchcase(f.filename, args.pick)]
        if len(chosen) != 1:
            print(f"--pick matched {len(chosen)} files", file=sys.stderr)
            return 2
        url = chosen[0].url
        print(f"# file: {chosen[0].filename}", file=sys.stderr)
        print(f"# url: {url}", file=sys.stderr)
        print(f"# sha256: {chosen[0].sha256}", file=sys.stderr)
        print(f"# size: {chosen[0].size}", file=sys.stderr)
    if not url:
        parser.error("give a URL or --pypi with --pick")

    members = read_central_directory(url)
    if args.list is not None:
        for m in _select(members, args.list or ["*"]):
            print(f"{m.size}\t{m.compressed_size}\t{m.name}")
    for m in _select(members, args.extract):
        target = args.dest / (Path(m.name).name if args.flat else m.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read_member(url, m))
        print(f"extracted {m.name} ({m.size} bytes) -> {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
