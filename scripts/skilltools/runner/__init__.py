"""Run example programs in isolation and record what happened. Standard library only.

Run by file path (`python .../runner/__main__.py`), never through `skilltools`, so a block process imports
nothing of the tooling. Parts: `protocol` (the typed request and result), `bootstrap` (inside the block
process), `supervisor` (one run: time limit, output tail, leftovers) and `server` (the warm pool, and `main`).
"""
