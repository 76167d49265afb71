import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from claims.contacts import email_key
from core.roles import SUPERVISOR, SUPPORT_AGENT
from outreach.models import KnownOwner
from outreach.services import BAD_LINES_KEPT, OwnersImportError, owners_import
from recalls.selectors import batch_covering_serial
from recalls.services import serials_import
from tests.factories import RecalledBatchFactory, RecallFactory, SerialRangeFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,phone,address_line1,city,postal_code,country,model_number,serial,purchased_on"
ANN = {
    "name": "Ann Example",
    "email": "ann@example.com",
    "phone": "+1 202 555 0100",
    "address_line1": "1 Main Street",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
    "model_number": "A1263",
    "serial": "AH23060000000042",
    "purchased_on": "2024-03-01",
}


def line(**changes) -> str:
    values = {**ANN, **changes}
    return ",".join(values[column] for column in HEADER.split(","))


def contacts(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode() + b"\n"


def run(recall, data: bytes | io.BytesIO, source: str = "retailer.csv"):
    lines = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    return owners_import(recall=recall, source=source, lines=lines)


def test_owners_are_imported_normalised(us_recall):
    report = run(
        us_recall,
        contacts(
            line(email=" Ann.Example+recall@Example.COM ", serial="ah23-0600-0000-0042", country=" us"),
            line(name="Bo  Example", serial="", phone="(030) 901-820", country="DE", postal_code="10115"),
        ),
    )

    assert (report.imported, report.skipped_known, report.not_covered, report.bad_line_count) == (2, 0, 0, 0)
    ann = KnownOwner.objects.get(name="Ann Example")
    assert (ann.email, ann.serial, ann.country, ann.phone) == (
        "ann.example+recall@example.com",
        "AH23060000000042",
        "US",
        "+12025550100",
    )
    assert ann.email_key == email_key("ann.example+recall@example.com") == "annexample@example.com"
    assert ann.purchased_on == datetime.date(2024, 3, 1)
    assert (ann.recall, ann.model, ann.source, ann.covered) == (
        us_recall,
        us_recall.models.get(),
        "retailer.csv",
        True,
    )
    assert len(ann.row_key) == 64
    bo = KnownOwner.objects.get(name="Bo Example")
    assert (bo.serial, bo.phone, bo.country) == ("", "030901820", "DE")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty"),
        (contacts(line(), header=HEADER.replace(",", ";")), "must be the header name,email,phone"),
        (contacts(line(), header=HEADER.replace(",purchased_on", "")), "must be the header"),
        (contacts(line(), header=HEADER.replace("email", "e-mail")), "not 'name,e-mail,"),
        (contacts(line()).removeprefix(HEADER.encode() + b"\n"), "must be the header"),
    ],
)
def test_a_wrong_header_imports_nothing(us_recall, data, message):
    with pytest.raises(OwnersImportError, match=message):
        run(us_recall, data)
    assert not KnownOwner.objects.exists()


def test_the_header_may_differ_in_case_and_spaces(us_recall):
    header = " Name, EMAIL ," + HEADER.split(",", 2)[2]
    assert run(us_recall, contacts(line(), header=header)).imported == 1


def test_each_bad_line_is_reported_with_its_number_and_the_others_are_imported(us_recall):
    report = run(
        us_recall,
        contacts(
            line(),  # 2
            line(country="XX"),  # 3
            line(country=""),  # 4
            line(model_number="A9999"),  # 5
            line(serial="AH2306"),  # 6
            line(serial="X" * 40),  # 7
            line(purchased_on="01/03/2024"),  # 8
            line(name="N" * 201),  # 9
            line(postal_code="1" * 21),  # 10
            line() + ",extra",  # 11
            "Ann,ann@example.com",  # 12
            line(name="Ann\0Example"),  # 13
            "",  # 14: blank lines are no bad lines
            ",,,,,,,,,",  # 15: nor is a row of empty cells
            line(name="Cy Example", email="cy@example.com"),  # 16
        ),
    )

    assert report.bad_lines == (
        (3, "country 'XX' is not an ISO 3166-1 alpha-2 country code"),
        (4, "country '' is not an ISO 3166-1 alpha-2 country code"),
        (5, f"model_number 'A9999' is not a model of recall {us_recall.code}"),
        (6, "serial 'AH2306' is not a serial number of model A1263"),
        (7, f"serial {'X' * 40!r} is not a serial number of model A1263"),
        (8, "purchased_on '01/03/2024' is not a date (YYYY-MM-DD)"),
        (9, "name is longer than 200 characters"),
        (10, "postal_code is longer than 20 characters"),
        (11, "11 columns, expected 10"),
        (12, "2 columns, expected 10"),
        (13, "contains a NUL character"),
    )
    assert report.bad_line_count == 11
    assert report.imported == 2
    assert set(KnownOwner.objects.values_list("name", flat=True)) == {"Ann Example", "Cy Example"}


def test_bad_lines_are_counted_past_those_kept(us_recall):
    report = run(us_recall, contacts(*[line(country="XX")] * (BAD_LINES_KEPT + 5), line()))
    assert len(report.bad_lines) == BAD_LINES_KEPT
    assert report.bad_line_count == BAD_LINES_KEPT + 5
    assert report.bad_lines[-1][0] == BAD_LINES_KEPT + 1
    assert report.imported == 1


def test_importing_a_file_again_imports_nothing(us_recall):
    data = contacts(*[line(email=f"owner{n}@example.com", serial=f"AH2306{n:010d}") for n in range(50)])
    assert run(us_recall, data).imported == 50

    again = run(us_recall, data, source="the same file, later")

    assert (again.imported, again.skipped_known) == (0, 50)
    assert KnownOwner.objects.count() == 50
    assert not KnownOwner.objects.filter(source="the same file, later").exists()


def test_the_same_owner_twice_in_one_file_is_imported_once(us_recall):
    report = run(
        us_recall,
        contacts(
            line(),
            line(email="ANN@example.com", serial="AH23-0600-0000-0042", name=" Ann  Example "),
            line(city="Another city", purchased_on=""),  # neither is part of who the owner is
            line(serial="AH23060000000043"),  # another unit
        ),
    )
    assert (report.imported, report.skipped_known) == (2, 2)
    assert sorted(KnownOwner.objects.values_list("serial", flat=True)) == [
        "AH23060000000042",
        "AH23060000000043",
    ]


def test_the_same_owner_is_known_per_recall(us_recall):
    other = RecalledBatchFactory(recall=RecallFactory(), model=us_recall.models.get()).recall
    assert run(us_recall, contacts(line())).imported == 1
    assert run(other, contacts(line())).imported == 1


def test_a_serial_outside_the_batches_is_kept_not_covered(us_recall):
    report = run(
        us_recall,
        contacts(
            line(serial="AH23070000000042"),  # no batch
            line(serial="AH23060000000042", country="FR", postal_code="75001"),  # the batch is not sold in FR
            line(serial="AH23060000000043"),
        ),
    )

    assert (report.imported, report.not_covered) == (3, 2)
    assert set(KnownOwner.objects.filter(covered=False).values_list("serial", "country")) == {
        ("AH23070000000042", "US"),
        ("AH23060000000042", "FR"),
    }


def test_an_owner_without_a_serial_is_covered(us_recall):
    report = run(us_recall, contacts(line(serial="")))
    assert (report.imported, report.not_covered) == (1, 0)
    assert KnownOwner.objects.get().covered


def test_coverage_is_what_the_serial_check_says_for_each_owner(us_recall):
    # given a Japan-only batch of the same model in another recall, and serials listed one by one
    model = us_recall.models.get()
    japan = RecalledBatchFactory(recall=RecallFactory(), model=model, markets=["JP"])
    SerialRangeFactory(batch=japan, prefix="AJ2310", start=100, end=199)
    serials_import(
        recall=us_recall,
        model=model,
        source=io.BytesIO(b"AL23090000000001\n"),
        batch_name="listed",
        markets=["US"],
    )
    inactive = RecalledBatchFactory(recall=RecallFactory(active=False), model=model, markets=["US"])
    SerialRangeFactory(batch=inactive, prefix="AQ2311")
    units = [
        (serial, country)
        for serial in [
            "AH23060000000000",
            "AH23060000999999",
            "AH23060001000000",  # past the range's end
            "AH2306000000004A",  # a letter where the range has digits
            "AH230600000000042",  # one digit too many: not the model's format, a bad line
            "AJ23100000000150",
            "AJ23100000000099",
            "AL23090000000001",
            "AL23090000000002",
            "AQ23110000000001",  # its recall is not active
        ]
        for country in ["US", "DE", "JP"]
    ]
    lines = [
        line(email=f"owner{n}@example.com", serial=serial, country=country)
        for n, (serial, country) in enumerate(units)
    ]

    report = run(us_recall, contacts(*lines))

    assert report.bad_line_count == 3
    owners = {(o.serial, o.country): o.covered for o in KnownOwner.objects.all()}
    expected = {
        (serial, country): batch_covering_serial(model=model, serial=serial, country=country) is not None
        for serial, country in units
        if (serial, country) in owners
    }
    assert len(expected) == len(units) - 3
    assert owners == expected
    assert {unit for unit, covered in owners.items() if covered} == {
        ("AH23060000000000", "US"),
        ("AH23060000000000", "DE"),
        ("AH23060000999999", "US"),
        ("AH23060000999999", "DE"),
        ("AJ23100000000150", "JP"),
        ("AL23090000000001", "US"),
    }
    assert report.not_covered == len(owners) - 6


def test_a_utf8_bom_is_ignored(us_recall):
    report = run(us_recall, b"\xef\xbb\xbf" + contacts(line(name="J\u00fcrgen M\u00fcller")))
    assert report.imported == 1
    assert KnownOwner.objects.get().name == "J\u00fcrgen M\u00fcller"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            contacts(line(), line(name="J\u00fcrgen", email="j@example.com")).decode().encode("latin-1"),
            "Line 3 is not UTF-8",
        ),
        (contacts(line()).decode().encode("utf-16"), "UTF-16"),
        (contacts(line(), 'Ann,"unterminated' + "x" * 200_000), "Line 3: the CSV is malformed"),
    ],
)
def test_a_file_that_cannot_be_read_imports_nothing(us_recall, data, message):
    with pytest.raises(OwnersImportError, match=message):
        run(us_recall, data)
    assert not KnownOwner.objects.exists()


def test_a_fatal_line_far_into_the_file_leaves_nothing_behind(us_recall):
    lines = [line(email=f"owner{n}@example.com").encode() for n in range(3000)]
    lines[2500] = "J\u00fcrgen".encode("latin-1") + lines[2500]
    data = HEADER.encode() + b"\n" + b"\n".join(lines)
    with pytest.raises(OwnersImportError, match="Line 2502 is not UTF-8"):
        run(us_recall, data)
    assert not KnownOwner.objects.exists()


def test_a_file_past_the_first_mib_is_imported_whole_with_its_line_numbers(us_recall):
    lines = [line(email=f"owner{n}@example.com", serial=f"AH2306{n:010d}") for n in range(12_000)]
    first_past_a_mib = (1 << 20) // len(lines[0]) + 5
    lines[first_past_a_mib] = line(country="XX")
    data = contacts(*lines)
    assert len(data) > 1.3 * (1 << 20)

    report = run(us_recall, data)

    assert report.imported == 11_999
    assert report.bad_lines == (
        (first_past_a_mib + 2, "country 'XX' is not an ISO 3166-1 alpha-2 country code"),
    )
    assert KnownOwner.objects.filter(serial="AH23060000011999", email="owner11999@example.com").exists()


def test_memory_does_not_grow_with_the_file(us_recall):
    import tracemalloc

    def peak_for(rows: int, start: int) -> int:
        lines = [
            line(email=f"owner{n}@example.com", serial=f"AH2306{n:010d}") for n in range(start, start + rows)
        ]
        data = io.BytesIO(contacts(*lines))
        del lines
        tracemalloc.start()
        report = run(us_recall, data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert report.imported == rows
        return peak

    small, large = peak_for(10_000, 0), peak_for(40_000, 100_000)
    assert large < small * 1.3
    assert large < 8 * 1024 * 1024


def test_lines_may_come_from_any_iterable(us_recall):
    report = owners_import(
        recall=us_recall, source="", lines=[HEADER.encode() + b"\r\n", line().encode() + b"\r\n"]
    )
    assert report.imported == 1


def test_the_command_prints_the_counts_and_the_bad_lines(us_recall, tmp_path, capsys):
    path = tmp_path / "registrations-2025.csv"
    path.write_bytes(
        contacts(line(), line(country="XX"), line(serial="AH23070000000042", email="b@example.com"))
    )

    call_command("import_contacts", str(path), recall=us_recall.code)
    out, err = capsys.readouterr()
    assert out.startswith(
        f"recall {us_recall.code}: imported 2 owners (1 with a serial outside every recalled batch), "
        "0 already known, 1 bad lines;"
    )
    assert err == "line 3: country 'XX' is not an ISO 3166-1 alpha-2 country code\n"
    assert set(KnownOwner.objects.values_list("source", flat=True)) == {"registrations-2025.csv"}

    call_command(
        "import_contacts", "-", recall=us_recall.code, source="shop", stdin=io.BytesIO(contacts(line()))
    )
    assert (
        "imported 0 owners (0 with a serial outside every recalled batch), 1 already known"
        in capsys.readouterr().out
    )


def test_the_command_fails_on_what_stops_the_whole_file(us_recall, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(contacts(line()))
    with pytest.raises(CommandError, match="No recall with code 'NOPE'"):
        call_command("import_contacts", str(path), recall="NOPE")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_contacts", str(tmp_path / "missing.csv"), recall=us_recall.code)
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_contacts", str(tmp_path), recall=us_recall.code)
    path.write_bytes(contacts(line(), header="name;email"))
    with pytest.raises(CommandError, match="must be the header .* Nothing was imported"):
        call_command("import_contacts", str(path), recall=us_recall.code)
    assert not KnownOwner.objects.exists()


def test_owners_are_erased_after_the_retention(us_recall, capsys):
    run(us_recall, contacts(line(), line(email="bo@example.com", name="Bo", serial="AH23070000000042")))
    run(us_recall, contacts(line(email="recent@example.com", name="Recent")))
    KnownOwner.objects.exclude(name="Recent").update(
        imported_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )

    call_command("erase_personal_data", "--dry-run")
    assert "2 known owners imported before" in capsys.readouterr().out
    assert not KnownOwner.objects.filter(erased_at__isnull=False).exists()
    call_command("erase_personal_data", older_than_days=730)
    assert "2 known owners imported before" in capsys.readouterr().out

    erased = KnownOwner.objects.filter(erased_at__isnull=False)
    assert erased.count() == 2
    for owner in erased:
        contact = (
            owner.name,
            owner.email,
            owner.email_key,
            owner.phone,
            owner.address_line1,
            owner.city,
            owner.postal_code,
        )
        assert contact == ("", "", "", "", "", "", "")
        assert owner.row_key == f"erased-{owner.pk}"
    # what the figures count stays
    assert sorted(erased.values_list("country", "model__model_number", "serial", "covered")) == [
        ("US", "A1263", "AH23060000000042", True),
        ("US", "A1263", "AH23070000000042", False),
    ]
    assert KnownOwner.objects.get(erased_at__isnull=True).name == "Recent"
    call_command("erase_personal_data", older_than_days=730)
    assert "0 known owners imported before" in capsys.readouterr().out


def staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_supervisors_only_see_known_owners_and_find_them_by_e_mail(us_recall, client, staff_roles):
    run(us_recall, contacts(line(), line(email="bo@example.com", name="Bo Example")))
    client.force_login(staff("agent1", SUPPORT_AGENT))
    assert client.get("/admin/outreach/knownowner/").status_code == 403

    client.force_login(staff("boss", SUPERVISOR))
    page = client.get("/admin/outreach/knownowner/", {"q": " Bo@Example.com "})
    assert page.status_code == 200
    assert [owner.name for owner in page.context["cl"].result_list] == ["Bo Example"]
    bo = KnownOwner.objects.get(name="Bo Example")
    detail = client.get(f"/admin/outreach/knownowner/{bo.pk}/change/")
    assert detail.status_code == 200 and "bo@example.com" in detail.content.decode()
    assert client.post(f"/admin/outreach/knownowner/{bo.pk}/delete/").status_code == 403


@pytest.mark.parametrize("field", ["name", "email", "phone", "address_line1", "city", "postal_code"])
def test_a_value_as_long_as_its_column_is_imported_and_one_longer_is_a_bad_line(us_recall, field):
    from outreach.services import _MAX_LENGTHS

    limit = _MAX_LENGTHS[field]

    def of_length(length: int) -> str:
        if field == "email":
            return "a" * (length - len("@example.com")) + "@example.com"
        return "1" * length if field in {"phone", "postal_code"} else "n" * length

    report = run(
        us_recall, contacts(line(**{field: of_length(limit)}), line(**{field: of_length(limit + 1)}))
    )
    assert report.bad_lines == ((3, f"{field} is longer than {limit} characters"),)
    assert report.imported == 1
