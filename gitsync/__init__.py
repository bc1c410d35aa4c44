"""icsync: keep SageMaker inference components in line with YAML manifests kept in git."""

__version__ = "0.1.0"
