"""The project's generator of realistic etcd + APISIX log bundles with ground truth (``truth.json``).

Each profile is a module here; ``python -m tools.bundlegen OUT [options]`` writes one bundle. Tests and
``bench/run.py`` use it; nothing outside the repository is needed.
"""
