"""``check --deep``: import each framework in a child process and run a tiny GPU operation.

This is the only place envdoctor imports a framework, and it does so in the examined
environment's own interpreter, in a child process with a timeout, so a framework that
crashes, hangs or prints warnings cannot take envdoctor down. Each child prints one JSON
line: whether the import worked, the accelerator it found, whether ``ones(2) * 2`` summed
to 4 on it, and the last line of any error.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

from envdoctor.facts import DeepCheck, FrameworkFacts
from envdoctor.probes.base import ProbeContext

DEEP_TIMEOUT = 120.0
"""Seconds each framework may take (TensorFlow imports in several seconds on a cold cache)."""

# Each body runs after `import json, sys` and must set `device` (str or None) and `ok`
# (True when the GPU computed the right answer, False or None otherwise).
_BODIES = {
    "torch": """
import torch
device = None
ok = None
if torch.cuda.is_available():
    device = torch.cuda.get_device_name(0)
    ok = float((torch.ones(2, device="cuda") * 2).sum()) == 4.0
elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
    device = "mps"
    ok = float((torch.ones(2, device="mps") * 2).sum()) == 4.0
""",
    "tensorflow": """
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
device = gpus[0].name if gpus else None
ok = None
if gpus:
    with tf.device("/GPU:0"):
        ok = float(tf.reduce_sum(tf.ones([2]) * 2)) == 4.0
""",
    "jax": """
import jax, jax.numpy as jnp
devs = [d for d in jax.devices() if d.platform != "cpu"]
device = str(devs[0]) if devs else None
ok = None
if devs:
    ok = float(jax.device_put(jnp.ones(2) * 2, devs[0]).sum()) == 4.0
""",
    "cupy": """
import cupy
device = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
ok = float((cupy.ones(2) * 2).sum()) == 4.0
""",
    "onnxruntime": """
import onnxruntime as ort
providers = ort.get_available_providers()
gpu = [p for p in providers if p not in ("CPUExecutionProvider",)]
device = gpu[0] if gpu else None
ok = None
""",
    "paddle": """
import paddle
device = None
ok = None
if paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0:
    device = paddle.device.cuda.get_device_name(0)
    ok = float((paddle.ones([2]) * 2).sum().cuda()) == 4.0
""",
}

_WRAPPER = """
import json, sys, traceback
try:
{body}
    print(json.dumps({{"imported": True, "device": device, "ok": ok}}))
except BaseException as exc:
    tb = traceback.format_exception_only(type(exc), exc)
    imported = "{module}" in sys.modules
    print(json.dumps({{"imported": imported, "error": tb[-1].strip()[:500]}}))
"""


def script(framework: str) -> str | None:
    """The child program for ``framework``, or ``None`` when there is no deep check for it."""
    body = _BODIES.get(framework)
    if body is None:
        return None
    module = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax", "cupy": "cupy",
              "onnxruntime": "onnxruntime", "paddle": "paddle"}[framework]
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return _WRAPPER.format(body=indented, module=module)


def run(ctx: ProbeContext, frameworks: list[FrameworkFacts], python: str | None
        ) -> list[FrameworkFacts]:
    """Add a :class:`DeepCheck` to each framework that has one."""
    if python is None or not ctx.host.can_run:
        ctx.problems.append("--deep needs the examined environment's interpreter on a live host")
        return frameworks
    done = []
    for fw in frameworks:
        code = script(fw.name)
        if code is None:
            done.append(fw)
            continue
        start = time.perf_counter()
        result = ctx.run([python, "-c", code], timeout=DEEP_TIMEOUT)
        elapsed = round((time.perf_counter() - start) * 1000, 1)
        done.append(replace(fw, deep=parse_child_output(result.stdout, result.describe(),
                                                        result.ok, elapsed)))
    return done


def parse_child_output(stdout: str, describe: str, ok: bool, elapsed_ms: float) -> DeepCheck:
    """Read the child's JSON line (the last one: frameworks print banners before it)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                break
            return DeepCheck(imported=bool(data.get("imported")), device=data.get("device"),
                             gpu_op=data.get("ok"), error=data.get("error"),
                             elapsed_ms=elapsed_ms)
    return DeepCheck(imported=False, error=describe if not ok else "no result from the child",
                     elapsed_ms=elapsed_ms)
