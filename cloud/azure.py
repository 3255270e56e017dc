"""Azure: an ARM template for a checked box plan, the ``az`` lines that deploy it, the SDK launch.

``write_deployment`` writes ``azuredeploy.json`` (network security group that opens SSH to
the caller's address only, virtual network, static Standard public IP, NIC, the GPU VM with
SSH-key login, encrypted Premium OS disk and the first-boot user data, and an auto-shutdown
schedule at the plan's expiry), ``azuredeploy.parameters.json`` (nothing secret in it: the
SSH public key and the caller's address are given when deploying) and ``deploy.sh``.
``launch`` deploys the same template through the Azure SDK (the ``azure`` extra), imported
only inside it.

API versions (each the newest GA version whose generated type reference was at hand):

- ``Microsoft.Network/*`` 2024-05-01: Azure/bicep-types-az,
  ``generated/network/microsoft.network/2024-05-01/types.md``.
- ``Microsoft.Compute/virtualMachines`` 2024-07-01: Azure/bicep-types-az,
  ``generated/compute/microsoft.compute/2024-07-01/types.md`` (``securityProfile.
  encryptionAtHost``, ``priority``/``evictionPolicy``/``billingProfile``, per-NIC and OS
  disk ``deleteOption``). The template leaves ``securityType`` unset (Standard security):
  Trusted Launch, the default of newer tools, is not supported by every GPU size.
- ``Microsoft.DevTestLab/schedules`` 2018-09-15 (the newest GA version): Azure/bicep-types-az,
  ``generated/devtestlabs/microsoft.devtestlab/2018-09-15/types.md``; the
  ``shutdown-computevm-<vm>`` name and ``ComputeVmShutdownTask`` are what the portal's
  auto-shutdown blade creates.
- Template layout after Azure/azure-quickstart-templates,
  ``quickstarts/microsoft.compute/vm-simple-linux/azuredeploy.json``.

Cost guard: on Azure an operating-system ``shutdown -h`` (the user data's guard) stops the
VM but does not deallocate it, so its compute is still billed; the auto-shutdown schedule
deallocates it. The schedule repeats daily at the expiry's UTC time: a guard longer than
24 hours fires at the first such time, earlier than the expiry, never later.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envdoctor.errors import UsageError

if TYPE_CHECKING:
    from envdoctor.cloud.plan import BoxPlan

TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMETERS_SCHEMA = (
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#")
NETWORK_API = "2024-05-01"
COMPUTE_API = "2024-07-01"
DEVTESTLAB_API = "2018-09-15"
ADMIN_USER = "azureuser"
OS_DISK_GB = 256
"""Room for a CUDA framework or two (torch alone unpacks to several GiB) and a model."""
DEFAULT_LOCATION = "eastus"
INSTALL_HINT = "pip install 'envdoctor[azure]'"
CALLER_IP_URL = "https://checkip.amazonaws.com"  # the same service as the AWS side
"""Answers with the caller's public IPv4 address (SSH is opened to it alone)."""

_NSG = "Microsoft.Network/networkSecurityGroups"
_VNET = "Microsoft.Network/virtualNetworks"
_SUBNET = "Microsoft.Network/virtualNetworks/subnets"
_PIP = "Microsoft.Network/publicIPAddresses"
_NIC = "Microsoft.Network/networkInterfaces"
_VM = "Microsoft.Compute/virtualMachines"
_SCHEDULE = "Microsoft.DevTestLab/schedules"


# --------------------------------------------------------------------------- names


def vm_name(box: BoxPlan) -> str:
    """The VM's name: GPU and expiry, e.g. ``envdoctor-a100-80gb-20261123t1500``.

    Letters, digits and hyphens only, at most 64 characters (Azure's limit for a Linux
    VM and its computer name).
    """
    gpu = re.sub(r"[^a-z0-9]+", "-", box.instance.gpu.lower()).strip("-")[:24].strip("-")
    when = _expiry(box).strftime("%Y%m%dt%H%M")
    return f"envdoctor-{gpu or 'gpu'}-{when}"


def default_resource_group(box: BoxPlan) -> str:
    """The resource group ``deploy.sh`` and ``launch`` create when none is given."""
    return f"{vm_name(box)}-rg"


def default_location(box: BoxPlan) -> str:
    """The region asked for, else the one the price was read in, else East US."""
    return box.needs.region or box.instance.price_region or DEFAULT_LOCATION


def shutdown_time(box: BoxPlan) -> str:
    """The auto-shutdown schedule's time of day: the expiry's UTC ``HHMM``."""
    return _expiry(box).strftime("%H%M")


def _expiry(box: BoxPlan) -> dt.datetime:
    return dt.datetime.strptime(box.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)


def _os_disk_type(vm_size: str) -> str:
    """Premium SSD where the size supports premium storage (an ``s`` in its features)."""
    m = re.match(r"Standard_[A-Z]+\d+([a-z]*)", vm_size)
    return "Premium_LRS" if m and "s" in m.group(1) else "StandardSSD_LRS"


# --------------------------------------------------------------------------- template


def build_template(box: BoxPlan) -> dict[str, Any]:
    """The ARM template (a JSON document as a dict) for the plan's VM and its network."""
    if not box.image.urn or box.image.urn.count(":") != 3:
        raise UsageError(f"the image {box.image.name!r} has no Azure URN "
                         "(publisher:offer:sku:version)",
                         hint="choose another --instance-type, or report the knowledge-base row")
    publisher, offer, sku, version = box.image.urn.split(":")
    name = vm_name(box)
    tags = dict(box.tags)
    variables = {
        "vmName": name,
        "adminUsername": ADMIN_USER,
        "nsgName": f"{name}-nsg",
        "vnetName": f"{name}-vnet",
        "subnetName": "default",
        "publicIpName": f"{name}-ip",
        "nicName": f"{name}-nic",
        "osDiskName": f"{name}-osdisk",
        "shutdownScheduleName": f"shutdown-computevm-{name}",
    }

    def rid(kind: str, *names: str) -> str:
        args = ", ".join(f"variables('{n}')" for n in names)
        return f"resourceId('{kind}', {args})"

    vm_properties: dict[str, Any] = {
        "hardwareProfile": {"vmSize": box.instance.type},
        "storageProfile": {
            "imageReference": {"publisher": publisher, "offer": offer, "sku": sku,
                               "version": version},
            "osDisk": {
                "name": "[variables('osDiskName')]",
                "createOption": "FromImage",
                "caching": "ReadWrite",
                "diskSizeGB": OS_DISK_GB,
                "deleteOption": "Delete",
                # Managed disks are always encrypted at rest with platform-managed keys;
                # encryption at host (below) also covers the temp disk and the caches.
                "managedDisk": {"storageAccountType": _os_disk_type(box.instance.type)},
            },
        },
        "osProfile": {
            "computerName": "[variables('vmName')]",
            "adminUsername": "[variables('adminUsername')]",
            "customData": base64.b64encode(box.user_data.encode()).decode("ascii"),
            "linuxConfiguration": {
                "disablePasswordAuthentication": True,
                "provisionVMAgent": True,
                "ssh": {"publicKeys": [{
                    "path": f"/home/{ADMIN_USER}/.ssh/authorized_keys",
                    "keyData": "[parameters('sshPublicKey')]",
                }]},
            },
        },
        "networkProfile": {"networkInterfaces": [{
            "id": f"[{rid(_NIC, 'nicName')}]",
            "properties": {"primary": True, "deleteOption": "Delete"},
        }]},
        "securityProfile": {"encryptionAtHost": "[parameters('encryptionAtHost')]"},
        # Managed boot diagnostics: the serial log carries the first-boot self-check.
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
    }
    if box.needs.spot:
        vm_properties.update({"priority": "Spot", "evictionPolicy": "Deallocate",
                              "billingProfile": {"maxPrice": -1}})

    resources: list[dict[str, Any]] = [
        {
            "type": _NSG, "apiVersion": NETWORK_API, "name": "[variables('nsgName')]",
            "location": "[parameters('location')]", "tags": tags,
            "properties": {"securityRules": [{
                "name": "ssh-from-caller",
                "properties": {
                    "description": "SSH from the address that deployed this box, nothing else",
                    "priority": 1000, "direction": "Inbound", "access": "Allow",
                    "protocol": "Tcp", "sourceAddressPrefix": "[parameters('sshSourceAddress')]",
                    "sourcePortRange": "*", "destinationAddressPrefix": "*",
                    "destinationPortRange": "22",
                },
            }]},
        },
        {
            "type": _VNET, "apiVersion": NETWORK_API, "name": "[variables('vnetName')]",
            "location": "[parameters('location')]", "tags": tags,
            "dependsOn": [f"[{rid(_NSG, 'nsgName')}]"],
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
                "subnets": [{
                    "name": "[variables('subnetName')]",
                    "properties": {
                        "addressPrefix": "10.42.0.0/24",
                        "networkSecurityGroup": {"id": f"[{rid(_NSG, 'nsgName')}]"},
                    },
                }],
            },
        },
        {
            "type": _PIP, "apiVersion": NETWORK_API, "name": "[variables('publicIpName')]",
            "location": "[parameters('location')]", "tags": tags,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"publicIPAllocationMethod": "Static",
                           "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4},
        },
        {
            "type": _NIC, "apiVersion": NETWORK_API, "name": "[variables('nicName')]",
            "location": "[parameters('location')]", "tags": tags,
            "dependsOn": [f"[{rid(_VNET, 'vnetName')}]", f"[{rid(_PIP, 'publicIpName')}]",
                          f"[{rid(_NSG, 'nsgName')}]"],
            "properties": {
                "ipConfigurations": [{
                    "name": "ipconfig1",
                    "properties": {
                        "privateIPAllocationMethod": "Dynamic",
                        "subnet": {"id": f"[{rid(_SUBNET, 'vnetName', 'subnetName')}]"},
                        "publicIPAddress": {"id": f"[{rid(_PIP, 'publicIpName')}]"},
                    },
                }],
                "networkSecurityGroup": {"id": f"[{rid(_NSG, 'nsgName')}]"},
            },
        },
        {
            "type": _VM, "apiVersion": COMPUTE_API, "name": "[variables('vmName')]",
            "location": "[parameters('location')]", "tags": tags,
            "dependsOn": [f"[{rid(_NIC, 'nicName')}]"],
            "properties": vm_properties,
        },
        {
            "type": _SCHEDULE, "apiVersion": DEVTESTLAB_API,
            "name": "[variables('shutdownScheduleName')]",
            "location": "[parameters('location')]", "tags": tags,
            "dependsOn": [f"[{rid(_VM, 'vmName')}]"],
            "properties": {
                "status": "Enabled",
                "taskType": "ComputeVmShutdownTask",
                "dailyRecurrence": {"time": shutdown_time(box)},
                "timeZoneId": "UTC",
                "targetResourceId": f"[{rid(_VM, 'vmName')}]",
                "notificationSettings": {"status": "Disabled", "timeInMinutes": 30},
            },
        },
    ]
    ip = f"reference({rid(_PIP, 'publicIpName')}, '{NETWORK_API}').ipAddress"
    return {
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "envdoctor", "expiresAt": box.expires_at,
                     "instance": box.instance.type, "image": box.image.urn},
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]",
                         "metadata": {"description": "Region of every resource."}},
            "sshPublicKey": {"type": "string", "minLength": 16, "metadata": {
                "description": f"OpenSSH public key (ssh-rsa or ssh-ed25519) for "
                               f"{ADMIN_USER}; passwords are disabled."}},
            "sshSourceAddress": {"type": "string", "minLength": 7, "metadata": {
                "description": "The only address SSH is open to: yours, as a.b.c.d/32."}},
            "encryptionAtHost": {"type": "bool", "defaultValue": True, "metadata": {
                "description": "Encrypt the temp disk and disk caches on the host too. Needs "
                               "the subscription feature: az feature register --namespace "
                               "Microsoft.Compute --name EncryptionAtHost. With false the "
                               "disks keep the platform-managed encryption at rest."}},
        },
        "variables": variables,
        "resources": resources,
        "outputs": {
            "publicIpAddress": {"type": "string", "value": f"[{ip}]"},
            "sshCommand": {"type": "string",
                           "value": f"[format('ssh {{0}}@{{1}}', variables('adminUsername'), "
                                    f"{ip})]"},
            "vmId": {"type": "string", "value": f"[{rid(_VM, 'vmName')}]"},
            "expiresAt": {"type": "string", "value": box.expires_at},
        },
    }


def build_parameters() -> dict[str, Any]:
    """The parameters file: no secrets, no key; those are given on the command line."""
    return {"$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"encryptionAtHost": {"value": True}}}


def render_deploy_script(box: BoxPlan) -> str:
    """``deploy.sh``: create the tagged resource group, deploy, print the SSH command."""
    from envdoctor import __version__  # noqa: PLC0415

    tags = " ".join(shlex.quote(f"{k}={v}") for k, v in box.tags.items())
    rg = shlex.quote(default_resource_group(box))
    location = shlex.quote(default_location(box))
    i = box.instance
    return f"""#!/usr/bin/env bash
# Written by envdoctor {__version__}: deploys {i.type} ({i.gpu_count}x {i.gpu}) with the ARM
# template beside this script. Needs the Azure CLI, logged in (az login).
#
# Cost guard: an auto-shutdown schedule deallocates the VM at {box.expires_at[11:16]} UTC
# (the plan's expiry, {box.expires_at}); the first boot also runs `shutdown -h` then.
# SSH is open to this machine's public address only (CALLER_IP=a.b.c.d overrides it).
# Encryption at host needs a subscription feature, once:
#   az feature register --namespace Microsoft.Compute --name EncryptionAtHost
# or add encryptionAtHost=false to the deployment's parameters below.
set -euo pipefail
cd "$(dirname "$0")"
RESOURCE_GROUP="${{RESOURCE_GROUP:-{rg}}}"
LOCATION="${{LOCATION:-{location}}}"
CALLER_IP="${{CALLER_IP:-$(curl -fsS {CALLER_IP_URL})}}"
if ! [[ "$CALLER_IP" =~ ^[0-9]{{1,3}}(\\.[0-9]{{1,3}}){{3}}$ ]]; then
    echo "cannot tell this machine's public IPv4 address (got '$CALLER_IP'); set CALLER_IP" >&2
    exit 1
fi
if [ ! -f ~/.ssh/id_rsa.pub ]; then
    echo "no ~/.ssh/id_rsa.pub: make one with ssh-keygen -t rsa -b 4096" >&2
    exit 1
fi
az group create --name "$RESOURCE_GROUP" --location "$LOCATION" --tags {tags}
az deployment group create --resource-group "$RESOURCE_GROUP" --template-file azuredeploy.json --parameters @azuredeploy.parameters.json sshPublicKey=@~/.ssh/id_rsa.pub sshSourceAddress="$CALLER_IP/32"
az deployment group show --resource-group "$RESOURCE_GROUP" --name azuredeploy --query properties.outputs.sshCommand.value --output tsv
"""  # noqa: E501 - the az lines are kept whole, to be read and copied as they are


def write_deployment(box: BoxPlan, folder: Path) -> list[Path]:
    """Write ``azuredeploy.json``, ``azuredeploy.parameters.json`` and ``deploy.sh``."""
    template = folder / "azuredeploy.json"
    template.write_text(json.dumps(build_template(box), indent=2) + "\n", encoding="utf-8")
    parameters = folder / "azuredeploy.parameters.json"
    parameters.write_text(json.dumps(build_parameters(), indent=2) + "\n", encoding="utf-8")
    script = folder / "deploy.sh"
    script.write_text(render_deploy_script(box), encoding="utf-8")
    script.chmod(0o755)
    return [template, parameters, script]


# --------------------------------------------------------------------------- launch


def launch(box: BoxPlan, *, resource_group: str | None = None, location: str | None = None,
           ssh_public_key: str | None = None, ssh_cidr: str | None = None, yes: bool = False,
           force: bool = False) -> str:
    """Deploy the plan's template with the Azure SDK; return the VM's resource id.

    ``ssh_public_key`` is the key itself (``ssh-ed25519 AAAA…``) or the path of a ``.pub``
    file (default: ``~/.ssh/id_ed25519.pub`` or ``~/.ssh/id_rsa.pub``). ``ssh_cidr`` is the
    one network SSH is opened to (default: this machine's public address, /32). The
    resource group (default: one named after the VM) is created, tagged, when missing.
    Asks before spending money unless ``yes``; a plan the pre-flight check blocks is
    refused unless ``force``.
    """
    if box.blocked and not force:
        raise UsageError("the pre-flight check blocks this plan: the box could not run the work",
                         hint="'envdoctor cloud plan azure …' shows the errors; change the "
                         "framework or --instance-type")
    try:
        from azure.core.exceptions import (  # noqa: PLC0415
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
        )
        from azure.identity import DefaultAzureCredential  # noqa: PLC0415
        from azure.mgmt.resource.resources import ResourceManagementClient  # noqa: PLC0415
    except ImportError:
        raise UsageError("cloud launch azure needs the Azure SDK", hint=INSTALL_HINT) from None
    import logging  # noqa: PLC0415

    import typer  # noqa: PLC0415

    # The SDK logs each credential it tried; its failure becomes one error line below.
    logging.getLogger("azure").setLevel(logging.ERROR)
    cidr = check_ssh_cidr(ssh_cidr) if ssh_cidr else caller_cidr()
    key = read_public_key(ssh_public_key or default_public_key())

    rg = resource_group or default_resource_group(box)
    where = location or default_location(box)
    subscription = subscription_id()
    if not yes:
        i = box.instance
        typer.confirm(f"Launch {i.type} ({i.gpu_count}× {i.gpu}) in {where}, resource group "
                      f"{rg}, until {box.expires_at}: {box.hourly}. Continue?", abort=True)
    credential = DefaultAzureCredential()
    parameters = {"location": {"value": where}, "sshPublicKey": {"value": key},
                  "sshSourceAddress": {"value": cidr}, "encryptionAtHost": {"value": True}}
    deployment = {"properties": {"mode": "Incremental",  # never Complete: it deletes others
                                 "template": build_template(box), "parameters": parameters},
                  "tags": dict(box.tags)}
    try:
        groups = ResourceManagementClient(credential, subscription).resource_groups
        if not groups.check_existence(rg):
            groups.create_or_update(rg, {"location": where, "tags": dict(box.tags)})
        typer.echo(f"deploying {vm_name(box)} into {rg} (a few minutes)…", err=True)
        poller = _deployments(credential, subscription, ResourceManagementClient) \
            .begin_create_or_update(rg, vm_name(box), deployment)
        result = poller.result()
    except ClientAuthenticationError as exc:
        raise UsageError(f"Azure credentials are missing or invalid: {_first_line(exc)}",
                         hint="run 'az login' (or set AZURE_CLIENT_ID, AZURE_TENANT_ID and "
                         "AZURE_CLIENT_SECRET) and try again") from None
    except HttpResponseError as exc:
        raise UsageError(f"Azure refused the deployment: {_first_line(exc)}",
                         hint=_hint_for(exc, rg)) from None
    except AzureError as exc:
        raise UsageError(f"cannot reach Azure: {_first_line(exc)}",
                         hint="check the network and the proxy settings, then try again") from None
    outputs = (getattr(getattr(result, "properties", None), "outputs", None) or {})
    vm = (outputs.get("vmId") or {}).get("value")
    return str(vm or result.id)


def _deployments(credential: Any, subscription: str, legacy: Any) -> Any:  # noqa: ANN401
    """The deployments operations: azure-mgmt-resource-deployments, or the old client's."""
    try:
        from azure.mgmt.resource.deployments import DeploymentsMgmtClient  # noqa: PLC0415
    except ImportError:  # azure-mgmt-resource before 25 still carries them
        operations = getattr(legacy(credential, subscription), "deployments", None)
        if operations is None:
            raise UsageError("this azure-mgmt-resource has no deployments; they moved to "
                             "azure-mgmt-resource-deployments", hint=INSTALL_HINT) from None
        return operations
    return DeploymentsMgmtClient(credential, subscription).deployments


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _hint_for(exc: Exception, rg: str) -> str:
    text = str(exc)
    if "EncryptionAtHost" in text:
        return ("turn on encryption at host once per subscription: az feature register "
                "--namespace Microsoft.Compute --name EncryptionAtHost")
    if getattr(exc, "status_code", None) in (401, 403) or "AuthorizationFailed" in text:
        return "the signed-in identity needs Contributor on the subscription or resource group"
    if "quota" in text.lower():
        return "request GPU quota for this VM family in the region, or choose another --region"
    return f"'az deployment group list --resource-group {rg}' shows the failed step"


def subscription_id() -> str:
    """``AZURE_SUBSCRIPTION_ID``, else the Azure CLI's default subscription."""
    value = os.environ.get("AZURE_SUBSCRIPTION_ID", "").strip()
    if value:
        return value
    config = Path(os.environ.get("AZURE_CONFIG_DIR") or Path.home() / ".azure")
    try:
        profile = json.loads((config / "azureProfile.json").read_text(encoding="utf-8-sig"))
        for sub in profile.get("subscriptions", []):
            if sub.get("isDefault") and sub.get("id"):
                return str(sub["id"])
    except (OSError, ValueError, AttributeError):
        pass
    raise UsageError("no Azure subscription is selected",
                     hint="set AZURE_SUBSCRIPTION_ID, or run 'az login' and "
                     "'az account set --subscription NAME'")


# --------------------------------------------------------------------------- inputs

_KEY_TYPES = ("ssh-rsa", "ssh-ed25519")


def read_public_key(value: str) -> str:
    """The OpenSSH public key line from ``value`` (the key, or a ``.pub`` file's path).

    Refuses private keys and key types Azure does not take (it accepts RSA and Ed25519).
    """
    text = value.strip()
    if not text.startswith(("ssh-", "ecdsa-", "sk-")):
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a text file"
            raise UsageError(f"cannot read the SSH public key {value}: {reason}",
                             hint="pass a .pub file (make one with ssh-keygen -t ed25519)"
                             ) from None
    if "PRIVATE KEY" in text:
        raise UsageError(f"{value} is a private key; it never leaves this machine",
                         hint="pass the public key beside it (the .pub file)")
    parts = text.split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise UsageError(f"{value} is not an RSA or Ed25519 OpenSSH public key",
                         hint="Azure takes ssh-rsa and ssh-ed25519 keys; make one with "
                         "ssh-keygen -t ed25519")
    try:
        base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise UsageError(f"{value} is not an OpenSSH public key (its key data is not base64)",
                         hint="pass the .pub file ssh-keygen wrote") from None
    return " ".join(parts[:3])


def default_public_key() -> str:
    """``~/.ssh/id_ed25519.pub``, else ``~/.ssh/id_rsa.pub``."""
    for name in ("id_ed25519.pub", "id_rsa.pub"):
        path = Path.home() / ".ssh" / name
        if path.is_file():
            return str(path)
    raise UsageError("no SSH public key in ~/.ssh (id_ed25519.pub or id_rsa.pub)",
                     hint="make one with ssh-keygen -t ed25519, or pass the .pub file")


def caller_cidr() -> str:
    """This machine's public IPv4 address as ``a.b.c.d/32`` (what ``deploy.sh`` asks too)."""
    import urllib.request  # noqa: PLC0415

    try:
        with urllib.request.urlopen(CALLER_IP_URL, timeout=5) as response:
            address = ipaddress.ip_address(response.read(64).decode("ascii").strip())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot tell this machine's public address ({CALLER_IP_URL}: "
                         f"{getattr(exc, 'reason', None) or exc})",
                         hint="pass --ssh-cidr YOUR.PUBLIC.IP/32; SSH is never opened to "
                         "0.0.0.0/0") from None
    return f"{address}/{address.max_prefixlen}"


def check_ssh_cidr(value: str) -> str:
    """The one network SSH is opened to; never the whole Internet."""
    text = value.strip()
    if text.lower() in ("*", "any", "internet"):
        raise UsageError(f"SSH from {value!r} would open the box to the whole Internet",
                         hint="give your own address, a.b.c.d/32")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise UsageError(f"{value!r} is not an IP address or network",
                         hint="give your own address, a.b.c.d/32") from None
    if network.prefixlen == 0:
        raise UsageError(f"SSH from {value} would open the box to the whole Internet",
                         hint="give your own address, a.b.c.d/32")
    return str(network)
