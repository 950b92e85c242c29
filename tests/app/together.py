"""Run the same step in several threads released at one moment: how double clicks and races are tested."""
from __future__ import annotations

import threading

from coordinator.extensions import db


def together(app, work, count: int = 2) -> list:
    """`work(index, barrier)` in `count` threads, each in its own app context and session.

    `work` loads what it needs, then waits at `barrier`, so the steps under test start at one moment.
    The outcome of each: what `work` returned, or the exception it raised (its session rolled back).
    """
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            try:
                outcomes[index] = work(index, barrier)
            except Exception as error:  # noqa: BLE001 - the outcome under test
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes
