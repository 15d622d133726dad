"""Operations: logs with request ids (`logs.py`, `observe.py`) and the `/metrics` route (`routes.py`)."""
