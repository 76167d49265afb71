"""An SMTP server on 127.0.0.1 for the benches, in a process of its own (so that it takes no time from
the clients): writes each message it receives to FOLDER/smtp.log as Django's file backend separates
them, so ``bench.common.count_mails`` counts it.

    python bench/smtp_sink.py FOLDER PORT
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class Sink:
    def __init__(self, folder: Path) -> None:
        self.out = (folder / "smtp.log").open("ab")

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.out.write(envelope.original_content + MAIL_SEPARATOR)
        self.out.flush()
        return "250 OK"


def main() -> None:
    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
