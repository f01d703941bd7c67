"""``python -m summit_extract``: the same command line as ``summit-extract``."""

from ._interfaces.cli import main

if __name__ == "__main__":
    main()
