"""The embedded broker: a message is never read before its writer has finished it (kombu issue #1551)."""

from __future__ import annotations

import contextlib
from queue import Empty

import pytest
from kombu import Connection

from core import broker


@pytest.fixture
def channels(tmp_path):
    """A writer's and a reader's channel on one broker folder, as a web process and a worker have."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    writer, reader = (Connection("atomicfs://", transport_options=options) for _ in range(2))
    yield writer.default_channel, reader.default_channel, folders
    writer.release()
    reader.release()


def test_a_message_being_written_is_invisible_to_readers(channels, monkeypatch):
    writer, reader, _folders = channels
    seen_mid_write = []
    real_fsync = broker.os.fsync

    def read_while_writing(fd):
        # The writer has written its bytes but not finished: a polling worker looks now.
        try:
            seen_mid_write.append(reader._get("remedies"))
        except Empty:
            seen_mid_write.append(None)
        real_fsync(fd)

    monkeypatch.setattr(broker.os, "fsync", read_while_writing)
    writer._put("remedies", {"body": "x" * 100_000})
    assert seen_mid_write == [None]
    assert reader._get("remedies") == {"body": "x" * 100_000}
    with pytest.raises(Empty):
        reader._get("remedies")


def test_two_readers_never_take_one_message(channels):
    writer, reader, _folders = channels
    for number in range(20):
        writer._put("remedies", {"n": number})
    taken = []
    for channel in (reader, writer) * 20:
        with contextlib.suppress(Empty):
            taken.append(channel._get("remedies")["n"])
    assert sorted(taken) == list(range(20))


def test_an_unreadable_message_is_set_aside_not_fatal(channels):
    writer, reader, folders = channels
    (folders["queue"] / "0_garbage.remedies.msg").write_bytes(b'{"cut short')
    writer._put("remedies", {"n": 1})
    assert reader._get("remedies") == {"n": 1}
    assert [p.name for p in (folders["processed"].parent / "broken").iterdir()] == ["0_garbage.remedies.msg"]
