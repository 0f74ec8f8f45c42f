"""The model pool on Ray: a named, detached master actor per SQL function, routing to worker actors.

``spec`` describes a pool, ``worker`` holds one model replica, ``master`` routes, deduplicates,
balances and replaces dead workers, ``balance`` holds the load-balancing policies and ``client`` is
what the rest of the engine calls (deploy, look up, call, list, remove).
"""
