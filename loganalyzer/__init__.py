"""loganalyzer: find known etcd and Apache APISIX failures in log bundles.

The pipeline, one package per stage: ``sources`` (find and open files) → ``formats`` (unwrap
collector wrappers, parse log lines) → ``matching`` (apply the signature ``catalogue``) →
``incidents`` (group and explain) → ``outputs`` (tables and terminal summary). ``cli`` only wires them.
"""

__version__ = "0.1.0"
