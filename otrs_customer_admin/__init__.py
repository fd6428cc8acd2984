"""OTRS-style customer management for Django admin sites themed with django-unfold."""

__version__ = "0.1.0"
