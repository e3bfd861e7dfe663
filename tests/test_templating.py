from decimal import Decimal

import pytest

from learnapp.templating import number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("100.00"), "100"),
        (Decimal("66.67"), "66.67"),
        (Decimal("0.50"), "0.5"),
        (Decimal("0.00"), "0"),
        (8, "8"),
        (None, ""),
    ],
)
def test_number_drops_trailing_zeros(value, text):
    assert number(value) == text
