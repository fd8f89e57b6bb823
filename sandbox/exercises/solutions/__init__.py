"""Reference solutions, one module per exercise (``solve(aws)``), kept apart from the checks.

Try the exercise first; then compare. Every solution is idempotent: running it
twice leaves the sandbox in the same graded state.
"""
