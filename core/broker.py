"""The embedded broker: kombu's file-system transport, made safe for several processes.

kombu's own transport writes a message file in place, and a worker polling the folder can read it
before the writer has finished: the JSON is cut short and the worker dies with an unrecoverable
``JSONDecodeError`` (kombu issue #1551). Here a message is written under a hidden name and renamed
into the queue when complete (a rename is atomic on one file system), and a reader takes a message
by renaming it into the processed folder on the same file system, so two workers never take one
message. A file that still cannot be read is set aside in ``broken/`` and logged, not fatal.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f".{name}.part"  # the reader only takes names that end in ".<queue>.msg"
        with open(partial, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, folder / name)

    def _get(self, queue):
        wanted = f"{queue}.msg"
        folder, taken_folder = Path(self.data_folder_in), Path(self.processed_folder)
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:  # also skips ".<name>.part", still being written
                continue
            taken = taken_folder / f"{name}.{uuid.uuid4().hex}"
            try:
                os.rename(folder / name, taken)  # atomic: of two workers, one gets the message
            except FileNotFoundError:
                continue
            data = taken.read_bytes()
            try:
                payload = loads(bytes_to_str(data))
            except ValueError:
                broken = taken_folder.parent / "broken"
                broken.mkdir(exist_ok=True)
                os.replace(taken, broken / name)
                logger.error("broker.unreadable_message file=%s", broken / name)
                continue
            if self.store_processed:
                os.replace(taken, taken_folder / name)
            else:
                taken.unlink()
            return payload
        raise Empty()

    def _message_names(self, queue) -> list[str]:
        wanted = f"{queue}.msg"
        return [name for name in os.listdir(self.data_folder_in) if name.partition(".")[2] == wanted]

    def _size(self, queue):
        return len(self._message_names(queue))

    def _purge(self, queue):
        count = 0
        for name in self._message_names(queue):  # never a ".<name>.part" still being written
            try:
                os.remove(Path(self.data_folder_in) / name)
                count += 1
            except FileNotFoundError:
                pass
        return count


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = "filesystem"
    driver_name = "atomicfs"


TRANSPORT_ALIASES.setdefault("atomicfs", "core.broker:Transport")
