"""Jinja templates (Dockerfiles, cloud-init user data, cloud templates), shipped as data.

Installed as ``envdoctor.templates``; loaded by file path so that editable and wheel
installs find them the same way.
"""
