"""Operations: logs with request ids (`logs.py`, `observe.py`) and Prometheus metrics (`metrics.py`, `routes.py`)."""
