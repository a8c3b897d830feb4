"""Identifiers out of a turn's text (finadvisor/services/state/redaction.py): every form below
is replaced by a placeholder without digits; ordinary amounts, terms and ages stay."""

from __future__ import annotations

import re

import pytest

from finadvisor.services.state.redaction import redact

#: (what, how a customer writes it, the secret parts that must not survive)
FORMS: list[tuple[str, str, tuple[str, ...]]] = [
    ("card", "my card is 4111 1111 1111 1111", ("4111",)),
    ("card", "card number 4111-1111-1111-1111", ("4111",)),
    ("card", "use 4111.1111.1111.1111 please", ("4111",)),
    ("card", "4111111111111111 is my card", ("4111111111111111",)),
    ("card", "amex 3782 822463 10005", ("3782", "822463", "10005")),
    ("card", "card 5500 0000 0000 0004", ("5500", "0004")),
    ("card", "my visa 4012 8888 8888 1881 expires soon", ("4012", "8888", "1881")),
    ("card", "cc: 6011-0009-9013-9424", ("6011", "9424")),
    ("iban", "my IBAN is DE89 3704 0044 0532 0130 00", ("3704", "0532")),
    ("iban", "iban de89370400440532013000", ("370400440532013000",)),
    ("iban", "GB29 NWBK 6016 1331 9268 19 is my account", ("6016", "1331", "9268")),
    ("iban", "pay into gb29nwbk60161331926819", ("60161331926819",)),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606", ("2004", "0505", "3M02")),
    ("iban", "iban: nl91-abna-0417-1643-00", ("0417", "1643")),
    ("cvv", "cvv 123", ("123",)),
    ("cvv", "the CVC is 987", ("987",)),
    ("cvv", "security code: 4321", ("4321",)),
    ("cvv", "cvv2 = 555", ("555",)),
    ("cvv", "three-digit code 246", ("246",)),
    ("expiry", "exp 12/27", ("12/27",)),
    ("expiry", "expiry date 01/2029", ("01/2029", "2029")),
    ("expiry", "valid thru 03-28", ("03-28",)),
    ("expiry", "it expires 11/26", ("11/26",)),
    ("email", "mail me at john.smith@example.com", ("john.smith", "example")),
    ("email", "JOHN_SMITH+loans@Example.co.uk", ("JOHN_SMITH", "Example")),
    ("email", "john(at)example.com", ("john", "example")),
    ("email", "jane [at] bank-mail [dot] org", ("jane", "bank-mail")),
    ("email", "write to a.b (at) mail.example", ("a.b", "mail.example")),
    ("email", "bob at example dot com", ("bob", "example")),
    ("phone", "call me on +44 20 7946 0958", ("7946", "0958")),
    ("phone", "my number is 020 7946 0958", ("7946", "0958")),
    ("phone", "phone 12345678", ("12345678",)),
    ("phone", "mobile: 07700 900123", ("07700", "900123")),
    ("phone", "(555) 123-4567", ("555", "4567")),
    ("phone", "555-123-4567", ("555", "4567")),
    ("phone", "0044 7700 900 123", ("7700", "900")),
    ("phone", "+1.202.555.0143", ("202", "0143")),
    ("phone", "tel 0612345678", ("0612345678",)),
    ("phone", "whatsapp +33 6 12 34 56 78", ("12 34 56 78",)),
    ("account", "account number 12345678", ("12345678",)),
    ("account", "my customer number is 99887766", ("99887766",)),
    ("account", "sort code 12-34-56", ("12-34-56",)),
    ("national_id", "ssn 123-45-6789", ("123-45-6789", "6789")),
    ("national_id", "passport number X1234567", ("1234567",)),
    ("name", "My name is John Smith", ("John", "Smith")),
    ("name", "my name is alice cooper", ("alice", "cooper")),
    ("name", "I'm Sarah Connor", ("Sarah", "Connor")),
    ("name", "This is Mrs Jones", ("Jones",)),
    ("name", "Regards, Peter Parker", ("Peter", "Parker")),
    ("name", "call me Bob", ("Bob",)),
]

#: Ordinary turns: nothing in them is an identifier.
ORDINARY = [
    "I'd like to borrow 15,000 dollars to buy a car",
    "between 5000 - 10000 euros",
    "over 12-24 months",
    "I am 34 years old and I'm employed",
    "I want 12 000 000 over 30 years",
    "my income is 5.000 a month",
    "I want 1.200.000 for a house",
    "borrow 15000 over 36 months",
    "I earn 60000 a year and pay 450 a month on my card",
    "Thanks, bye",
    "I have 2 dependents and have worked there for 6 years",
]


def test_at_least_forty_forms() -> None:
    assert len(FORMS) >= 40
    assert len({kind for kind, _, _ in FORMS}) >= 8


@pytest.mark.parametrize(("kind", "text", "secrets"), FORMS,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(FORMS)])
def test_identifier_is_replaced(kind: str, text: str, secrets: tuple[str, ...]) -> None:
    out = redact(text)
    for secret in secrets:
        assert secret.lower() not in out.text.lower(), (text, out.text)
    assert out.kinds, text
    # What is left of the identifier has no digits an amount could be read from.
    assert not re.search(r"\d{3,}", out.text), out.text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_turns_are_untouched(text: str) -> None:
    assert redact(text).text == text
