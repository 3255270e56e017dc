"""envdoctor: diagnose and provision GPU environments for machine learning.

The package is laid out as the pipeline it implements: ``envdoctor.probes`` gather
facts from a host, ``envdoctor.facts`` is the contract they fill, the rules engine turns
facts into findings, and ``envdoctor.render`` formats the report.
"""

__version__ = "0.1.0"
