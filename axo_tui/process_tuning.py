"""Garbage-collector tuning for the `axo` process only.

The collector's settings belong to the whole interpreter, so the library never changes them:
code that embeds axo (the tests, a server hosting several runtimes) keeps its own. The `axo`
entry point (`axo_tui.cli.main.run`) calls `tune_for_axo`, and a front end calls
`freeze_startup_objects` once it is built, which only freezes in the `axo` process.
"""

from __future__ import annotations

import gc

GC_YOUNG_THRESHOLD = 10_000
"""Net allocations between young-generation collections (CPython's default is 700).

A wide fan-out keeps a hundred activations in flight, each holding its request, messages and
coroutine frames. At 700, collections came every two or three activations and promoted those
short-lived objects, so full collections over the whole heap (chromadb and the embedder
included) came every few runs. At 10,000 they die young, before a collection sees them."""

tuned = False
"""Whether `tune_for_axo` ran: this process is the `axo` command."""
_frozen = False


def tune_for_axo() -> None:
    """Tune the collector for the `axo` command; called once, by its entry point."""
    global tuned
    tuned = True
    raise_gc_threshold()


def raise_gc_threshold() -> None:
    """Raise the young-generation threshold to GC_YOUNG_THRESHOLD; a higher one, or
    collection turned off (0), is left alone."""
    young, middle, old = gc.get_threshold()
    if 0 < young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def freeze_startup_objects() -> None:
    """In the `axo` process, leave what exists now (modules, a front end's stylesheet and
    screens, built once) out of the collector's full passes, which would otherwise walk
    them again and stall the workbench's loop under a flood of events. Elsewhere (a test
    running many apps) it does nothing."""
    global _frozen
    if tuned and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def unfreeze() -> None:
    """Undo `freeze_startup_objects` when the front end exits, so what those objects hold
    can be collected again."""
    global _frozen
    if _frozen:
        gc.unfreeze()
        _frozen = False
