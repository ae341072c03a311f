"""Behaviour tests of the `envkeep` command line, run as real processes against each backend."""
