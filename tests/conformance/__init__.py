"""Conformance suite: each test follows one public AWS tutorial, guide example or sample (named in its docstring)."""
