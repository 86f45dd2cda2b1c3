"""`python -m kb` (and the `kb` command): run the command line."""

import gc


def run() -> None:
    # A `kb search` is a process that starts, answers and exits: the cyclic garbage collector's passes while it
    # loads its ~400 modules free nothing worth having and cost ~15 ms. The commands that run on (ingest, serve,
    # eval, reindex) turn it back on as they start (kb.cli.main), before any of their work.
    gc.disable()
    from kb.cli import main

    main()


if __name__ == "__main__":
    run()
