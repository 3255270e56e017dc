"""ED00xx: the tool itself — probes that failed, sources it could not use, data it lacks."""

from __future__ import annotations

from collections.abc import Iterator

from envdoctor.facts import ProbeStatus
from envdoctor.report import Severity
from envdoctor.rules.base import Category, Context, Issue, rule


@rule(code="ED0001", name="probe-failed", title="A probe failed; its facts are unknown",
      severity=Severity.WARNING, category=Category.TOOL)
def probe_failed(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Every probe's record: a probe that crashed or could not do its work at all.

    ## Why it matters
    The facts that probe fills are unknown, so rules that need them stay quiet: the
    report may miss problems in that area.

    ## How to fix
    Read the probe's detail. If it names a file or program, check it (its permissions,
    whether it runs by hand). If it is `probe crashed: …`, an exception inside
    envdoctor, report it with the snapshot (`envdoctor snapshot -o facts.json`), which
    records every probe's status, sources and problems.

    ## Example
    `nvidia: probe crashed: ValueError: …`

    ## References
    - `envdoctor snapshot` records every probe's status, sources and problems.
    """
    for record in ctx.facts.probes:
        if record.status is ProbeStatus.FAILED:
            yield Issue(f"{record.name}: {record.detail or 'no detail'}",
                        fix_note="Check the file or program the detail names; if it says "
                                 "'probe crashed', that is a bug in envdoctor: report it with "
                                 "'envdoctor snapshot -o facts.json' attached.",
                        evidence=[f"probes.{record.name}.status=failed"])


@rule(code="ED0002", name="probe-source-unusable",
      title="A probe could not use some of its sources", severity=Severity.WARNING,
      category=Category.TOOL)
def probe_source_unusable(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    Sources a probe found but could not use: a file it may not read, a program that
    timed out, output that is garbage.

    ## Why it matters
    The facts from those sources are unknown, and rules that need them stay quiet. A
    permission problem or a hung tool is often itself the first symptom of a broken
    driver.

    ## How to fix
    Check the permissions of the files named (run as the user that runs the workload),
    or raise the timeout with `--timeout` for a slow but working tool.

    ## Example
    `cpu: /proc/cpuinfo: permission denied; lscpu timed out after 5.0 s`

    ## References
    - `envdoctor check --timeout SECONDS`
    """
    for record in ctx.facts.probes:
        if record.status is not ProbeStatus.FAILED and record.problems:
            yield Issue(f"{record.name}: {'; '.join(record.problems)}",
                        fix_note="Facts from these sources are unknown. Check the permissions "
                                 "of the files named, or raise the timeout with --timeout.",
                        evidence=[f"probes.{record.name}.problems"])


@rule(code="ED0004", name="newer-than-knowledge-base",
      title="This machine runs something newer than envdoctor's knowledge base",
      severity=Severity.INFO, category=Category.TOOL)
def newer_than_knowledge_base(ctx: Context) -> Iterator[Issue]:
    """
    ## What it checks
    The NVIDIA driver branch, the CUDA toolkits, torch and ROCm against the newest
    versions the knowledge base knows.

    ## Why it matters
    For something newer than its data, envdoctor does not guess: rules that would need
    the missing rows stay quiet, so a real incompatibility may go unreported.

    ## How to fix
    Upgrade envdoctor (`pip install -U envdoctor`); `envdoctor knowledge` shows what the
    installed data covers and its as-of dates.

    ## Example
    `NVIDIA driver 620.12 (newest known branch 610) is newer than envdoctor's knowledge
    base: checks that need its rows are skipped.`

    ## References
    - `envdoctor knowledge`
    """
    f, kb = ctx.facts, ctx.kb
    driver = f.nvidia.userspace_version or f.nvidia.kernel_module_version
    found = []
    if driver and kb.newer_than_known("driver", driver):
        found.append(f"NVIDIA driver {driver} (newest known branch "
                     f"{kb.newest_driver_branch()})")
    for kit in f.cuda.toolkits:
        if kit.version and kb.newer_than_known("cuda", kit.version):
            found.append(f"CUDA {kit.version} at {kit.path} (newest known {kb.newest_cuda()})")
    for fw in f.frameworks:
        if fw.name == "torch" and fw.version and kb.newer_than_known("torch", fw.version):
            found.append(f"torch {fw.version} (newest known {kb.newest_release('torch')})")
    if f.rocm.rocm_version and kb.newer_than_known("rocm", f.rocm.rocm_version):
        found.append(f"ROCm {f.rocm.rocm_version} (newest known {kb.newest_rocm()})")
    for item in found:
        yield Issue(f"{item} is newer than envdoctor's knowledge base: checks that need its "
                    "rows are skipped.", fix=["pip install -U envdoctor"],
                    evidence=[item.split(" (")[0]])
