from datetime import timedelta

from django.utils import timezone

from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.numberpool.tests.test_pool_queries import statements


def test_it_lists_only_available_numbers_of_the_partner(cast, client_for):
    now = timezone.now()
    make_number(cast.acme, "8005551234")
    make_number(
        cast.acme, "8005551235", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(
        cast.acme,
        "8005551236",
        status=NumberStatus.AGING,
        aging_until=now + timedelta(1),
    )
    make_number(
        cast.acme,
        "8005551237",
        status=NumberStatus.AGING,
        aging_until=now - timedelta(1),
    )
    make_number(cast.globex, "8005551238")

    text = client_for(cast.bob).get("/numbers/available/").text

    assert "8005551234" in text
    assert "8005551237" in text
    for hidden in ("8005551235", "8005551236", "8005551238"):
        assert hidden not in text
    assert 'href="/numbers/8005551234/"' in text


def test_it_filters_by_country_type_and_area_code(cast, client_for):
    make_number(cast.acme, "8005551234")
    make_number(cast.acme, "2125550111", number_type="local")
    make_number(
        cast.acme,
        "2079460000",
        number="+442079460000",
        country_code="44",
        area_code="20",
        number_type="intl_local",
    )
    client = client_for(cast.bob)

    def shown(**filters):
        text = client.get("/numbers/available/", filters).text
        return {d for d in ("8005551234", "2125550111", "2079460000") if d in text}

    assert shown(country="44") == {"2079460000"}
    assert shown(country="+1") == {"8005551234", "2125550111"}
    assert shown(type="local") == {"2125550111"}
    assert shown(area="800") == {"8005551234"}
    assert shown(country="1", type="tollfree", area="212") == set()
    assert shown(country="GB") == {"2079460000"}
    assert shown(country="us", area="212") == {"2125550111"}


def test_a_code_no_number_can_have_is_refused_without_reading_the_pool(
    cast, client_for
):
    make_number(cast.acme, "8005551234")
    client = client_for(cast.bob)

    for filters, message in (
        ({"country": "UK1"}, "A country code is digits, such as 44, or a country"),
        ({"country": "ZZ"}, "A country code is digits, such as 44, or a country"),
        ({"area": "NYC"}, "An area code is digits, such as 212."),
    ):
        with statements() as seen:
            text = client.get("/numbers/available/", filters).text
        assert message in text
        assert "8005551234" not in text
        assert not [sql for sql, _ in seen if "numberpool_phonenumber" in sql]


def test_it_pages_through_the_pool_with_few_queries(
    cast, client_for, django_assert_max_num_queries
):
    for i in range(120):
        make_number(cast.acme, f"800555{i:04d}")
    client = client_for(cast.bob)

    with django_assert_max_num_queries(8):
        first = client.get("/numbers/available/")
    assert first.text.count('href="/numbers/800555') == 50
    assert "50+ available numbers." in first.text
    assert "8005550049" in first.text and "8005550050" not in first.text

    third = client.get("/numbers/available/", {"after": "+18005550099"})
    assert "20 available numbers." in third.text
    assert "8005550100" in third.text and "8005550099" not in third.text
