"""Importers and exporters: other formats in and out."""
