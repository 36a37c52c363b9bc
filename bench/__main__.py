"""``python -m bench [--smoke] [--peer] ...``; ``--help`` lists the options."""

if __name__ == "__main__":
    # Imported here, not at the top: spawned load processes re-import this module as
    # ``__mp_main__`` and must not pay for Django.
    from bench.runner import main

    raise SystemExit(main())
