"""envkeep: zero-knowledge secrets and environment configuration for microservice teams."""

__version__ = "0.2.0"
