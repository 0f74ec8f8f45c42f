"""Progress of the function calls a running job's queries make (model calls: rows done of rows
total, tokens per second, ETA), for ``/runningjobs``, ``load _mlsql_.`progress/NAME` `` and ``byzer
run``. ``sources`` is the plugin contract; ``tracker`` counts and reports on the runtime's side."""
