"""Change history of the records: every insert, update and delete kept by database triggers."""

import pghistory


def tracked(model=None, *, exclude: tuple[str, ...] = ()):
    """Keep a trigger-written history of every change to `model`, deletions included.

    HistoryMiddleware attaches the acting user and the URL. Each model gets fresh trackers:
    a tracker binds itself to the fields of the model it decorates. `@tracked(exclude=...)`
    leaves out columns the database derives from tracked ones.
    """

    def track(model):
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=list(exclude) or None,
        )(model)

    return track(model) if model is not None else track
