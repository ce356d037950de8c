"""Serving trained models over HTTP (``ilner serve``): the app, its models and dynamic batching."""
