"""What the OS runs in: container and its runtime, WSL 1 or 2, hypervisor, cloud instance.

Everything comes from local files (no network, no metadata service): container markers,
``/proc/version``, and the firmware's DMI strings in ``/sys/class/dmi/id``.
"""

from __future__ import annotations

import re

from envdoctor._util import lazy_re
from envdoctor.facts import CloudFacts, PlatformFacts
from envdoctor.probes.base import ProbeContext

# NOTE: Azure writes this constant asset tag into every VM's DMI chassis table; cloud-init
# uses it to recognise Azure (cloudinit/sources/DataSourceAzure.py, AZURE_CHASSIS_ASSET_TAG).
AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"

# An EC2 instance type as the Nitro firmware writes it into product_name (g5.xlarge).
_EC2_TYPE = lazy_re(r"^[a-z][a-z0-9-]*\.[0-9a-z]+$")

# DMI sys_vendor / product_name → hypervisor, following systemd-detect-virt's dmi_vendor_table
# (src/basic/virt.c).
_DMI_VIRT: tuple[tuple[str, str], ...] = (
    ("KVM", "kvm"),
    ("OpenStack", "kvm"),
    ("KubeVirt", "kvm"),
    ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Oracle Corporation", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"),
    ("Google Compute Engine", "google"),
)

_CGROUP_RUNTIMES: tuple[tuple[str, str], ...] = (
    ("kubepods", "kubernetes"),
    ("libpod", "podman"),
    ("docker", "docker"),
    ("containerd", "containerd"),
    ("/lxc/", "lxc"),
    ("lxc.payload", "lxc"),
)


def probe(ctx: ProbeContext, cpu_hypervisor_flag: bool | None = None) -> PlatformFacts:
    """Describe the container, WSL, hypervisor and cloud around the operating system."""
    unknown: dict[str, str] = {}
    runtime, evidence = _container(ctx)
    wsl, wsl_distro = _wsl(ctx)
    dmi = _dmi(ctx)
    virt = _virtualization(ctx, dmi, cpu_hypervisor_flag)
    cloud = _cloud(ctx, dmi)
    if wsl == 2 and virt is None:
        virt = "microsoft"
    if not dmi and ctx.host.live and not ctx.host.exists("/sys/class/dmi/id"):
        unknown["virtualization"] = (
            "no DMI tables in /sys/class/dmi/id" if virt is None else
            "hypervisor flag set but no DMI tables name it")
    return PlatformFacts(
        in_container=bool(runtime) if (runtime or ctx.host.live) else None,
        container_runtime=runtime,
        container_evidence=evidence,
        wsl=wsl,
        wsl_distro=wsl_distro,
        virtualization=virt,
        cloud=cloud,
        unknown=unknown if virt is None else {},
    )


def _container(ctx: ProbeContext) -> tuple[str | None, list[str]]:
    host = ctx.host
    evidence: list[str] = []
    runtime: str | None = None
    env_container = host.env.get("container")
    if host.env.get("KUBERNETES_SERVICE_HOST"):
        evidence.append("KUBERNETES_SERVICE_HOST is set")
        runtime = "kubernetes"
    if host.env.get("APPTAINER_CONTAINER") or host.env.get("SINGULARITY_CONTAINER"):
        evidence.append("APPTAINER_CONTAINER/SINGULARITY_CONTAINER is set")
        runtime = runtime or "apptainer"
    if host.exists("/.dockerenv"):
        evidence.append("/.dockerenv exists")
        runtime = runtime or "docker"
    if host.exists("/run/.containerenv"):
        text = ctx.read("/run/.containerenv") or ""
        engine = re.search(r'^engine="([a-z]+)', text, re.MULTILINE)
        evidence.append("/run/.containerenv exists")
        runtime = runtime or (engine.group(1) if engine else "podman")
    if env_container:
        evidence.append(f"container={env_container}")
        runtime = runtime or env_container
    if ctx.host.live:
        cgroup = ctx.read("/proc/1/cgroup") or ""
        for marker, name in _CGROUP_RUNTIMES:
            if marker in cgroup:
                evidence.append(f"/proc/1/cgroup mentions {marker.strip('/')}")
                runtime = runtime or name
                break
    return runtime, evidence


def _wsl(ctx: ProbeContext) -> tuple[int | None, str | None]:
    version = ctx.read("/proc/version") or ""
    lower = version.lower()
    if "microsoft" not in lower:
        return None, None
    # WSL 2 kernels are built by Microsoft as "*-microsoft-standard-WSL2" (older:
    # "*-microsoft-standard"); WSL 1 fakes a kernel string such as "4.4.0-19041-Microsoft".
    wsl = 2 if ("microsoft-standard" in lower or "wsl2" in lower) else 1
    return wsl, ctx.host.env.get("WSL_DISTRO_NAME")


def _dmi(ctx: ProbeContext) -> dict[str, str]:
    values = {}
    for key in ("sys_vendor", "product_name", "product_version", "bios_vendor",
                "bios_version", "chassis_asset_tag", "board_vendor"):
        text = ctx.read(f"/sys/class/dmi/id/{key}")
        if text is not None and text.strip():
            values[key] = text.strip()
    return values


def _virtualization(ctx: ProbeContext, dmi: dict[str, str], flag: bool | None) -> str | None:
    for key in ("sys_vendor", "product_name", "bios_vendor", "board_vendor"):
        value = dmi.get(key, "")
        for marker, name in _DMI_VIRT:
            if value.startswith(marker):
                return name
    if (dmi.get("sys_vendor") == "Microsoft Corporation"
            and dmi.get("product_name") == "Virtual Machine"):
        return "microsoft"
    hyp = (ctx.read("/sys/hypervisor/type") or "").strip()
    if hyp:
        return hyp
    if flag:
        return "unknown"
    if dmi:
        return "none"
    return None


def _cloud(ctx: ProbeContext, dmi: dict[str, str]) -> CloudFacts | None:
    vendor = dmi.get("sys_vendor", "")
    product = dmi.get("product_name", "")
    if vendor == "Amazon EC2":
        evidence = [f"sys_vendor={vendor}", f"product_name={product}"]
        return CloudFacts("aws", product if _EC2_TYPE.match(product) else None, evidence)
    bios = dmi.get("bios_version", "")
    uuid = (ctx.read("/sys/hypervisor/uuid") or "").strip().lower()
    if "amazon" in bios.lower() or uuid.startswith("ec2"):
        # Xen-based EC2 generations do not write the instance type into DMI.
        evidence = f"bios_version={bios}" if bios else f"hypervisor uuid={uuid}"
        return CloudFacts("aws", None, [evidence])
    if dmi.get("chassis_asset_tag") == AZURE_ASSET_TAG:
        return CloudFacts("azure", None, [f"chassis_asset_tag={AZURE_ASSET_TAG}"])
    if product == "Google Compute Engine" or dmi.get("bios_vendor") == "Google":
        return CloudFacts("gcp", None, [f"product_name={product}"])
    return None
