"""The data-processing ETs of Byzer's catalogue, one module per family (``docs/ets.md``)."""
