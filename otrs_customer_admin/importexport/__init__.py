"""Bulk import and export of customers and customer users: file formats, value parsing, the engine."""
