"""The executor: runs statements in order with one handler per statement kind (see ``handlers``)."""
