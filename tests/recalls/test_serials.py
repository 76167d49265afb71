import pytest

from recalls.serials import normalise_serial


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("AH2306-0000-000042", "AH23060000000042"),
        ("ah23 0600 0000 0042", "AH23060000000042"),
        ("AH23O6OOOOOOOO42", "AH23060000000042"),  # O read as zero
        ("aI2306000000004i", "A123060000000041"),  # I read as one, either case
        ("  AH2306\t0000000042 ", "AH23060000000042"),
        ("", ""),
    ],
)
def test_normalise_serial(typed, normalised):
    assert normalise_serial(typed) == normalised
