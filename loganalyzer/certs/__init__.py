"""Certificates: find the PEM/DER files a bundle holds or its etcd/APISIX configs name, inspect them,
check them for the problems behind etcd's TLS failures, and confirm incidents with what they show.

Modules: ``find`` (which files, resolving configured paths), ``configs`` (etcd and APISIX configs),
``parse`` (certificates and keys), ``checks`` (problems with stable codes), ``table`` (its schema),
``scan`` (the certificates table), ``confirm`` with ``confirmations.toml`` (incidents confirmed by
certificates), ``terminal`` (the rich table). Nothing here is imported at CLI start-up.
"""
