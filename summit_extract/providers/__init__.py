"""Backends. The core reaches these only by name through ``summit_extract._backend.load_provider``."""
