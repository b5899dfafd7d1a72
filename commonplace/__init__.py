"""Commonplace's shared kernel: what every service and the gateway rely on.

The kernel imports no service. Each module holds one cross-cutting concern.
"""
