"""``python -m byzer_engine ARGS``: the same as the ``byzer`` command (``python -m byzer_engine serve``)."""

from byzer_engine.cli import main

if __name__ == "__main__":
    main()
