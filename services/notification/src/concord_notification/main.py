"""The notification process: ``concord-notification``.

Settings come from CONCORD_NOTIFICATION_* variables."""

from concord_shared.service import serve

from concord_notification.bootstrap import build_app
from concord_notification.settings import NotificationSettings


def run() -> None:
    serve(build_app, NotificationSettings())


if __name__ == "__main__":
    run()
