"""``python -m bench``: load tests of the DCR server under gunicorn (see the README, "Performance").

Kept empty on purpose: the load generator's client processes import ``bench.load`` and
``bench.scenarios`` only, never Django.
"""
