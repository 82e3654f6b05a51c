import pytest

from payments.masking import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Budi Santoso", "B*** S******"),
        ("Budi", "B***"),
        ("Siti Nur Rahmah", "S*** N** R*****"),
        ("I Made Ayu", "I M*** A**"),  # a one-letter word shows only its letter
        ("  Budi   Santoso  ", "B*** S******"),  # runs of spaces collapse
        ("PT. Tirta Jaya", "P** T**** J***"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_masked_name_hides_every_letter_but_the_first_of_each_word():
    masked = mask_name("Hendra Wijaya")
    assert "endra" not in masked and "ijaya" not in masked
    assert len(masked) == len("Hendra Wijaya")
