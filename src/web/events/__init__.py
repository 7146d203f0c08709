"""The web app as producer of activity events (docs/activity-event.md, docs/web-app.md).

`builders` makes the event of each action; `recorder.EventRecorder` writes it to the outbox in
the action's transaction and hands it on after the commit (ACTIVITY_MODE); `purger` deletes
handed-over rows in batches; `relay.OutboxRelay` re-enqueues rows left behind; `queue` is the
arq pool, opened lazily so the site works while Redis is down.
"""
