"""``python -m summit_extract``: the same command line as ``summit-extract``."""

from ._cli import main

if __name__ == "__main__":
    main()
