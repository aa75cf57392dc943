"""Change history of the records: every insert, update and delete kept by database triggers."""

import pghistory


def tracked(model):
    """Keep a trigger-written history of every change to `model`, deletions included.

    HistoryMiddleware attaches the acting user and the URL. Each model gets fresh trackers:
    a tracker binds itself to the fields of the model it decorates.
    """
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
    )(model)
