"""What Subscriber Lookup matches for one search box.

An address matches its canonical form exactly or in part; a Subscriber ID matches
exactly; names and Billing IDs match in part; a phone number in any format matches
the stored E.164 form.
"""

import re
import unicodedata

import phonenumbers
from django.db.models import Q

_PHONE_LIKE = re.compile(r"^[+()\d\s.\-]{5,}$")


def _searchable(query) -> str:
    """Whitespace collapsed; control characters and lone surrogates dropped.

    Nobody types them, no stored value holds them, and PostgreSQL refuses a NUL
    in a query parameter.
    """
    text = "".join(
        ch
        for ch in str(query or "")
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return " ".join(text.split())[:254]


def search_filter(query: str, region: str | None = None) -> Q:
    query = _searchable(query)
    if not query:
        return Q()
    folded = query.casefold()
    condition = (
        Q(email_canonical__contains=folded)
        | Q(public_id=query.lower())
        | Q(billing_id__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
    )
    if " " in query:
        first, _, last = query.partition(" ")
        condition |= Q(first_name__icontains=first, last_name__icontains=last)
    if _PHONE_LIKE.match(query):
        digits = re.sub(r"\D", "", query)
        for default_region in dict.fromkeys([region, None]):
            try:
                number = phonenumbers.parse(query, default_region)
            except phonenumbers.NumberParseException:
                continue
            condition |= Q(
                phone=phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
            )
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
    return condition
