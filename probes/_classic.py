"""The frameworks of the early deep-learning years: how an install reveals each, successors.

Data only, so the frameworks probe can look for them without loading the build-info
parsers.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CLASSIC_FRAMEWORKS", "ClassicFramework"]


class ClassicFramework(NamedTuple):
    """A framework from the early deep-learning years, and how an install reveals it."""

    name: str
    distributions: tuple[str, ...]
    """Package names that provide it: pip's, and conda's where that is how it shipped
    (``caffe2``), PEP 503 normalised; ``*`` is a wildcard (``mxnet-cu*``)."""
    modules: tuple[str, ...]
    """Top-level package directories it installs."""
    markers: tuple[str, ...]
    """Files (relative to ``site-packages``) that identify it when no dist-info exists."""
    successor: str
    """Where its users went, in the words of the project or its maintainers."""
    sources: tuple[str, ...]
    """Where that statement was made."""
    note: str = ""


CLASSIC_FRAMEWORKS: tuple[ClassicFramework, ...] = (
    ClassicFramework(
        "Theano", ("theano", "theano-pymc"), ("theano",), ("theano/__init__.py",),
        "PyTensor (PyMC's fork of Theano, by way of Theano-PyMC and Aesara)",
        ("https://groups.google.com/d/msg/theano-users/7Poq8BZutbY/rNCIfvAEAwAJ",
         "https://github.com/Theano/Theano (README: 'It is being continued as PyTensor')"),
        "MILA ended development after 1.0 (announced 2017-09-28); Theano-PyMC also "
        "installs a `theano` package.",
    ),
    ClassicFramework(
        "CNTK", ("cntk", "cntk-gpu"), ("cntk",), ("cntk/__init__.py",),
        "ONNX and ONNX Runtime",
        ("https://github.com/Microsoft/CNTK (README: 'Today's 2.7 release will be the last "
         "main release of CNTK')",),
        "cntk-gpu is the CUDA build.",
    ),
    ClassicFramework(
        "Caffe", (), ("caffe",), ("caffe/pycaffe.py",),
        "Caffe2, which merged into PyTorch",
        ("https://caffe2.ai/blog/2018/05/02/Caffe2_PyTorch_1_0.html",),
        "pycaffe is built from BVLC's source (`make pycaffe`) and put on PYTHONPATH, so it "
        "has no dist-info; conda and Debian (python3-caffe-cpu/-cuda) package it as system "
        "packages. The Boost.Python extension is caffe/_caffe.so.",
    ),
    ClassicFramework(
        "Caffe2", ("caffe2",), ("caffe2",), ("caffe2/python/__init__.py",),
        "PyTorch",
        ("https://caffe2.ai/blog/2018/05/02/Caffe2_PyTorch_1_0.html",
         "https://github.com/pytorch/pytorch/issues/72536"),
        "Torch wheels themselves shipped a `caffe2` package until it was dropped from the "
        "PyPI wheels in Oct 2022 (pytorch/builder#1181, pytorch/pytorch#87986): a caffe2 "
        "directory beside such a torch is torch's, not a separate Caffe2.",
    ),
    ClassicFramework(
        "Chainer", ("chainer",), ("chainer",), ("chainer/__init__.py",),
        "PyTorch (Preferred Networks moved its research to PyTorch; Chainer v7 is in "
        "maintenance)",
        ("https://github.com/chainer/chainer/releases (v7.8.1: 'Chainer is under the "
         "maintenance phase')",
         "https://github.com/chainer/chainer-pytorch-migration"),
        "Its GPU support is CuPy (cupy-cudaXXX), which lives on.",
    ),
    ClassicFramework(
        "Lasagne", ("lasagne",), ("lasagne",), ("lasagne/__init__.py",),
        "none named by the project; it is a library on top of Theano, whose successor is "
        "PyTensor",
        ("https://sander.ai/software/",
         "https://github.com/Theano/Theano"),
    ),
    ClassicFramework(
        "MXNet", ("mxnet", "mxnet-mkl", "mxnet-native", "mxnet-cu*"), ("mxnet",),
        ("mxnet/libinfo.py",),
        "none: Apache retired it to the Attic in 2023 (repository archived 2023-11-17)",
        ("https://attic.apache.org/projects/mxnet.html",),
        "The CUDA build is in the distribution name: mxnet-cu112 is CUDA 11.2, "
        "mxnet-cu102mkl CUDA 10.2 with MKL-DNN (https://pypi.org/user/mxnet-bln).",
    ),
)
"""Theano, CNTK, Caffe, Caffe2, Chainer, Lasagne and MXNet: names, markers, successors."""
