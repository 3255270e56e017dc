"""Environment variables that matter to GPU and ML stacks, from an allowlist.

Only names on the allowlist (or with an allowed prefix such as ``NCCL_``) are kept, a
name that says it is a secret is never kept, and a value that looks like a credential
is withheld: only its name is recorded.
"""

from __future__ import annotations

from envdoctor.facts import EnvFacts, ProbeStatus
from envdoctor.probes.base import ProbeContext
from envdoctor.redact import looks_secret, name_is_secret

ALLOWED = frozenset({
    "PATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE",
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_EXE",
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT",
    "CUDA_MODULE_LOADING", "CUDA_LAUNCH_BLOCKING", "CUDA_CACHE_PATH", "CUDA_CACHE_DISABLE",
    "CUDNN_HOME", "CUDNN_PATH",
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_CUDA",
    "NVIDIA_DISABLE_REQUIRE", "NV_CUDA_CUDART_VERSION", "CUDA_VERSION", "NV_CUDNN_VERSION",
    "NCCL_VERSION",
    "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
    "HSA_OVERRIDE_GFX_VERSION", "HSA_ENABLE_SDMA", "ROCM_PATH", "ROCM_HOME", "HIP_PATH",
    "HIP_PLATFORM", "PYTORCH_ROCM_ARCH",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "MKL_THREADING_LAYER",
    "MKL_SERVICE_FORCE_INTEL", "MKL_DEBUG_CPU_TYPE", "MKL_ENABLE_INSTRUCTIONS",
    "KMP_AFFINITY", "KMP_BLOCKTIME", "OMP_PROC_BIND", "OMP_PLACES",
    "TORCH_CUDA_ARCH_LIST", "PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_HIP_ALLOC_CONF",
    "PYTORCH_NVML_BASED_CUDA_CHECK", "TORCH_HOME", "TORCHINDUCTOR_CACHE_DIR",
    "XLA_FLAGS", "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION",
    "XLA_PYTHON_CLIENT_ALLOCATOR", "JAX_PLATFORMS", "JAX_PLATFORM_NAME", "JAX_ENABLE_X64",
    "TF_FORCE_GPU_ALLOW_GROWTH", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
    "TF_GPU_ALLOCATOR", "TF_USE_LEGACY_KERAS", "KERAS_BACKEND",
    "WSL_DISTRO_NAME", "WSL_INTEROP", "container", "KUBERNETES_SERVICE_HOST",
    "APPTAINER_CONTAINER", "SINGULARITY_CONTAINER", "SLURM_JOB_ID", "SLURM_JOB_GPUS",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL",
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "VLLM_TARGET_DEVICE",
})
# NOTE: prefixes are chosen to be owned by GPU/ML stacks; a bare "TF_" would also catch
# Terraform's TF_CLI_CONFIG_FILE, so TensorFlow's are listed by their sub-prefixes.
ALLOWED_PREFIXES = ("NCCL_", "CUDA_", "NVIDIA_", "HSA_", "HIP_", "ROCM_", "MIOPEN_", "XLA_",
                    "TF_CPP_", "TF_GPU_", "TF_XLA_", "TF_ENABLE_", "TORCH_", "PYTORCH_", "JAX_",
                    "OMP_", "MKL_", "KMP_", "VLLM_")


def is_allowed(name: str) -> bool:
    """Whether a variable is on the allowlist and its name does not say it is a secret."""
    if name_is_secret(name):
        return False
    return name in ALLOWED or name.startswith(ALLOWED_PREFIXES)


def probe(ctx: ProbeContext) -> EnvFacts:
    """Collect allowlisted variables from the host's environment."""
    variables: dict[str, str] = {}
    withheld: list[str] = []
    for name in sorted(ctx.host.env):
        if not is_allowed(name):
            continue
        value = ctx.host.env[name]
        if looks_secret(value):
            withheld.append(name)
            continue
        variables[name] = value
    if ctx.host.kind == "root":
        ctx.status = ProbeStatus.SKIPPED
        ctx.detail = "an image's environment is not on disk: no variables under --root"
    return EnvFacts(variables=variables, withheld=withheld)
