"""Importers: readers of other tools' environment reports.

Each importer turns the text another tool prints about a machine (PyTorch's and vLLM's
``collect_env``) into :class:`~envdoctor.facts.Facts` with a ``report`` origin, so the
same rules can run on a bug report that a maintainer pastes. What a report cannot tell
stays unknown, with the reason in the section's ``unknown`` map.
"""
