"""The MySQL wire protocol over the engine: BI tools, JDBC and MySQL clients run SQL and Byzer
scripts as the owner they log in as (see docs/mysql.md).

``WireListener(config, engine, WireSettings(port=3307)).start()`` listens; ``byzer serve
--mysql-port PORT`` runs one beside the HTTP server on the same engine.
"""

from byzer_engine.wire.listener import DEFAULT_PORT, WireListener
from byzer_engine.wire.session import WireSettings

__all__ = ["DEFAULT_PORT", "WireListener", "WireSettings"]
