"""The user envdoctor runs as, with group names (``video``, ``render``, ``docker``)."""

from __future__ import annotations

from envdoctor.facts import UserFacts
from envdoctor.probes.base import ProbeContext


def probe(ctx: ProbeContext) -> UserFacts:
    """Describe the user: ids from the host's identity, names from /etc/passwd and /etc/group."""
    ident = ctx.host.identity
    if ident.uid is None:
        return UserFacts()
    name = ident.name
    home = ident.home
    passwd = ctx.read("/etc/passwd") or ""
    for line in passwd.splitlines():
        fields = line.split(":")
        if len(fields) >= 6 and fields[2] == str(ident.uid):
            name = name or fields[0]
            home = home or fields[5]
            break
    gids = set(ident.group_ids)
    if ident.gid is not None:
        gids.add(ident.gid)
    groups = set(ident.group_names)
    for line in (ctx.read("/etc/group") or "").splitlines():
        fields = line.split(":")
        if len(fields) < 4:
            continue
        members = fields[3].split(",") if fields[3] else []
        if (fields[2].isdigit() and int(fields[2]) in gids) or (name and name in members):
            groups.add(fields[0])
    return UserFacts(name=name, uid=ident.uid, gid=ident.gid, groups=sorted(groups), home=home)
