"""``python -m tools.bundlegen OUT --size-mb N [--plain]``: write a bundle and its truth."""

from tools.bundlegen.corpus import main

if __name__ == "__main__":
    main()
