# noqa: C801
__version__ = "0.0.35"
