import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from recalls.models import RecalledBatch, RecalledSerial
from recalls.services import SerialImportError, serials_import

pytestmark = pytest.mark.django_db(transaction=True)


def run_import(recall, data: bytes, batch_name="file.txt", **kwargs):
    return serials_import(
        recall=recall, model=recall.models.get(), source=io.BytesIO(data), batch_name=batch_name, **kwargs
    )


def listed(recall) -> set[str]:
    return set(RecalledSerial.objects.filter(recall=recall).values_list("serial", flat=True))


def test_plain_file_is_imported_normalised(us_recall):
    report = run_import(
        us_recall, b"AL23090000000001\nal23-0900-0000-0002\r\n\n  AL23O9OOOOOOOOO3  \nAL23090000000004"
    )
    assert report.imported == 4
    assert listed(us_recall) == {f"AL2309000000000{n}" for n in range(1, 5)}
    batch = RecalledBatch.objects.get(name="file.txt")
    assert batch.listed_serials == 4
    # markets default to the recall's markets
    assert sorted(batch.markets.values_list("country", flat=True)) == ["DE", "US"]


def test_reimporting_the_same_file_adds_nothing(us_recall):
    data = b"\n".join(f"AL2309{n:010d}".encode() for n in range(500))
    assert run_import(us_recall, data).imported == 500
    again = run_import(us_recall, data)
    assert (again.imported, again.already_listed) == (0, 500)
    assert RecalledSerial.objects.count() == 500
    assert RecalledBatch.objects.get(name="file.txt").listed_serials == 500


def test_duplicates_inside_one_file_are_listed_once(us_recall):
    report = run_import(us_recall, b"AL23090000000001\nAL23090000000001\nal23090000000001\n")
    assert (report.read, report.imported, report.already_listed) == (3, 1, 2)


def test_serial_listed_under_another_batch_name_is_skipped(us_recall):
    run_import(us_recall, b"AL23090000000001\n", batch_name="first")
    report = run_import(us_recall, b"AL23090000000001\nAL23090000000002\n", batch_name="second")
    assert report.imported == 1


def test_bad_lines_are_reported_with_line_numbers_and_good_ones_kept(us_recall):
    data = (
        b"serial\nAL23090000000001\nnot a serial\nAL23090000000002\nAL2309\n"
        + b"X" * 40
        + b"\nAL23090000000003\n"
    )
    report = run_import(us_recall, data)
    assert report.imported == 3
    assert [(r.line, r.text) for r in report.rejected] == [(3, "not a serial"), (5, "AL2309"), (6, "X" * 40)]
    assert report.rejected_count == 3
    assert "longer than" in report.rejected[2].reason


def test_line_numbers_count_across_chunks(us_recall, monkeypatch):
    monkeypatch.setattr("recalls.services._CHUNK_BYTES", 64)
    lines = [f"AL2309{n:010d}" for n in range(100)]
    lines[73] = "bad line"
    report = run_import(us_recall, "\n".join(lines).encode())
    assert report.imported == 99
    assert [(r.line, r.text) for r in report.rejected] == [(74, "bad line")]


def test_csv_with_a_serial_column(us_recall):
    data = (
        "\ufeffbatch;Serial;made\n"
        "b1;AL23090000000001;2023-09\n"
        "b1;al2309-0000-0000-02;2023-09\n"
        "b1;too short;2023-09\n"
        "b1;AL23090000000004\n"
        "\n"
        'b1;"AL23090000000005";2023-09\n'
    ).encode()
    report = run_import(us_recall, data)
    assert listed(us_recall) == {"AL23090000000001", "AL23090000000002", "AL23090000000005"}
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "not a serial number of model A1263"),
        (5, "2 columns, expected 3"),
    ]


def test_csv_without_serial_column_imports_nothing(us_recall):
    with pytest.raises(SerialImportError, match="no 'serial' column"):
        run_import(us_recall, b"id,number\n1,AL23090000000001\n")
    assert not RecalledBatch.objects.filter(name="file.txt").exists()


@pytest.mark.parametrize(
    "data",
    [
        "AL23090000000001\nAL23090000000002\n".encode("utf-16"),
        b"AL23090000000001\nAL2309\xe40000000002\n",  # latin-1
        "serial,note\nAL23090000000001,ok\nAL23090000000002,caf\xe9\n".encode("latin-1"),
    ],
)
def test_wrong_encoding_imports_nothing(us_recall, data):
    with pytest.raises(SerialImportError, match="UTF-8"):
        run_import(us_recall, data)
    assert RecalledSerial.objects.count() == 0
    assert not RecalledBatch.objects.filter(name="file.txt").exists()


def test_markets_are_validated(us_recall):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        run_import(us_recall, b"AL23090000000001\n", markets=["XX"])


def test_command_prints_counts_and_rejections(us_recall, tmp_path, capsys):
    path = tmp_path / "serials-2023.csv"
    path.write_text("AL23090000000001\nnope\nAL23090000000002\n")
    call_command("import_serials", str(path), recall=us_recall.code, model="A1263", markets="US")
    out, err = capsys.readouterr()
    assert "imported 2 rows" in out
    assert "rows/s" in out
    assert "line 2: 'nope'" in err
    batch = RecalledBatch.objects.get(name="serials-2023.csv")
    assert list(batch.markets.values_list("country", flat=True)) == ["US"]


def test_command_refuses_unknown_recall_model_or_file(us_recall, tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("AL23090000000001\n")
    with pytest.raises(CommandError, match="No recall"):
        call_command("import_serials", str(path), recall="NOPE", model="A1263")
    with pytest.raises(CommandError, match="No product model"):
        call_command("import_serials", str(path), recall=us_recall.code, model="NOPE")
    with pytest.raises(CommandError, match="not a readable file"):
        call_command("import_serials", str(tmp_path / "missing.txt"), recall=us_recall.code, model="A1263")
    with pytest.raises(CommandError, match="Nothing was imported"):
        path.write_bytes("x".encode("utf-16"))
        call_command("import_serials", str(path), recall=us_recall.code, model="A1263")


def test_large_file_streams_in_constant_memory(us_recall, monkeypatch):
    """The import never holds the file: peak allocations do not grow with its size."""
    import tracemalloc

    monkeypatch.setattr("recalls.services._CHUNK_BYTES", 64 * 1024)

    def peak_for(rows: int, start: int) -> int:
        data = io.BytesIO(b"".join(b"AL2309%010d\n" % n for n in range(start, start + rows)))
        tracemalloc.start()
        report = serials_import(
            recall=us_recall, model=us_recall.models.get(), source=data, batch_name=f"b{start}"
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert report.imported == rows
        return peak

    small, large = peak_for(100_000, 0), peak_for(400_000, 1_000_000)
    assert large < small * 1.3
    assert large < 8 * 1024 * 1024


@pytest.mark.parametrize("csv", [False, True])
def test_a_file_past_the_first_mib_is_imported_whole_with_its_line_numbers(us_recall, csv):
    # given a file of 1.4 MiB (the import reads 1 MiB at a time), a bad line just past the first MiB
    lines = [f"AL2309{n:010d}" for n in range(85_000)]
    first_past_a_mib = (1 << 20) // 17 + 3
    lines[first_past_a_mib] = "bad line"
    data = "\n".join(["serial", *lines] if csv else lines).encode()
    assert len(data) > 1.3 * (1 << 20)

    report = run_import(us_recall, data)

    assert report.imported == 84_999
    assert [r.line for r in report.rejected] == [first_past_a_mib + 1 + (1 if csv else 0)]
    assert RecalledSerial.objects.filter(serial="AL23090000084999").exists()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL): SQLite has one writer"
)
def test_two_imports_of_one_model_at_once_list_each_serial_once(us_recall):
    # given two files of one model with half their serials in common, imported at the same moment
    first = b"\n".join(f"AL2309{n:010d}".encode() for n in range(0, 3000))
    second = b"\n".join(f"AL2309{n:010d}".encode() for n in range(1500, 4500))
    barrier = threading.Barrier(2)

    def one(args):
        data, name = args
        try:
            recall = type(us_recall).objects.get(pk=us_recall.pk)
            barrier.wait(timeout=30)
            return run_import(recall, data, batch_name=name).imported
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        imported = list(pool.map(one, [(first, "first"), (second, "second")]))

    # then neither failed, and each serial is listed once, under the import that came first
    assert sorted(imported) == [1500, 3000]
    assert RecalledSerial.objects.filter(recall=us_recall).count() == 4500
