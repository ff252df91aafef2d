"""The read paths: Subscriber Lookup, Phone Line Lookup and Browse Available
Numbers, each through the calls its page makes, next to the raw SQL that answers
the same question from an index (the ceiling).

The partial-text ceilings need a trigram index over names, emails and Billing
IDs that the product may not have; `bench.ceilings` keeps one of its own, apart
from the product's tables, so the product's writes never maintain it.
"""

import time
from collections.abc import Callable

from django.utils import timezone

from bench.ceilings import SUBSCRIBER_TEXT
from bench.scene import Path, Scene

PAGE = 50
# Trigram hits from which the walk in number order is tried as well.
COMMON_HITS = 5000


def _ids(items) -> list[int]:
    return [item.pk for item in items]


def _same_ids(product, ceiling) -> bool:
    return _ids(product)[:PAGE] == [row[0] for row in ceiling][:PAGE]


def subscriber_lookup_page(scene: Scene, query: str) -> list:
    """What the Subscriber Lookup page runs for one search box (the API runs the
    same search without the readiness columns): its first page of results."""
    from csrtool.features.readiness import annotate_readiness
    from csrtool.pagination import keyset_page
    from csrtool.subscribers import search
    from csrtool.subscribers.models import Subscriber

    if hasattr(search, "lookup_for"):
        # The page's call once the first page of whole keys is prepared.
        return search.lookup_for(
            scene.csr, query, annotate=annotate_readiness, size=PAGE
        ).items
    queryset = annotate_readiness(
        Subscriber.objects.for_actor(scene.csr, with_partner=True)
    )
    if hasattr(queryset, "lookup"):
        # The page's call once lookups rank exact matches first.
        return queryset.lookup(query, region=scene.region, size=PAGE).items
    queryset = queryset.search(query, region=scene.region)
    return keyset_page(queryset, None, size=PAGE).items


def _driven(scene: Scene, order: str) -> str:
    """ORDER BY columns that no index may serve on SQLite, so the condition's
    index drives the query: SQLite plans without statistics (nothing runs
    ANALYZE), and would otherwise walk the whole partner in date order."""
    if scene.vendor != "sqlite":
        return order
    return ", ".join(f"+{term.strip()}" for term in order.split(","))


def _subscriber_ceiling(scene: Scene, where: str, value):
    order = _driven(scene, "s.created_at DESC, s.id DESC")
    statement = (
        "SELECT s.* FROM subscribers_subscriber s "  # noqa: S608
        f"WHERE s.partner_id = %s AND {where} "
        f"ORDER BY {order} LIMIT {PAGE + 1}"
    )
    partner = scene.partner.pk
    return lambda arg: scene.fetch(statement, (partner, value(arg)))


def _hits_first(scene: Scene, table: str, hits: str, order: str, value, *, also=None):
    """The first page, in `order`, of the partner's rows among `hits` (a query
    of ids that a trigram index answers), with the hits driving the plan: on
    SQLite through ORDER BY terms no index serves, on PostgreSQL through a
    materialised CTE (else the planner may walk the partner in order, probing
    each row, and a rare term costs a whole partner). `also`, a condition on
    the rows and the function of the input that gives its parameter."""
    partner = scene.partner.pk
    where, more = (f"AND {also[0]} ", also[1]) if also else ("", lambda arg: ())
    if scene.vendor == "sqlite":
        statement = (
            f"SELECT t.* FROM {table} t WHERE t.partner_id = %s "  # noqa: S608
            f"AND t.id IN ({hits}) {where}ORDER BY {_driven(scene, order)} "
            f"LIMIT {PAGE + 1}"
        )
        return lambda arg: scene.fetch(statement, (partner, value(arg), *more(arg)))
    statement = (
        f"WITH hits AS MATERIALIZED ({hits}) SELECT t.* FROM {table} t "  # noqa: S608
        f"JOIN hits ON hits.id = t.id WHERE t.partner_id = %s {where}"
        f"ORDER BY {order} LIMIT {PAGE + 1}"
    )
    return lambda arg: scene.fetch(statement, (value(arg), partner, *more(arg)))


def _text_ceiling(scene: Scene):
    from csrtool.subscribers.search import has_mark, marks_as_digits

    order = "t.created_at DESC, t.id DESC"
    if scene.vendor == "sqlite":
        hits = (
            f"SELECT rowid FROM {SUBSCRIBER_TEXT} "  # noqa: S608
            f"WHERE {SUBSCRIBER_TEXT} MATCH %s"
        )
        return _hits_first(
            scene, "subscribers_subscriber", hits, order, lambda a: f'"{a["part"]}"'
        )

    def pattern(arg):
        return f"%{arg['part'].lower()}%"

    plain = _hits_first(
        scene,
        "subscribers_subscriber",
        f"SELECT id FROM {SUBSCRIBER_TEXT} WHERE text LIKE %s",  # noqa: S608
        order,
        pattern,
    )
    # Text with a mark in it: through the index that reads marks as digits,
    # the text itself checked beside it.
    marked = _hits_first(
        scene,
        "subscribers_subscriber",
        f"SELECT id FROM {SUBSCRIBER_TEXT}, (SELECT %s::text AS p) typed "  # noqa: S608
        f"WHERE {marks_as_digits('text')} LIKE {marks_as_digits('typed.p')} "
        "AND text LIKE typed.p",
        order,
        pattern,
    )
    return lambda arg: (marked if has_mark(arg["part"]) else plain)(arg)


def subscriber_paths(scene: Scene) -> list[Path]:
    from phonenumbers import PhoneNumberFormat, format_number, parse

    people = scene.subscribers(200)
    rng = scene.rng

    def typed_case(text):
        return text.upper() if rng.random() < 0.5 else text

    def part(text, length):
        start = rng.randrange(0, max(1, len(text) - length))
        return text[start : start + length]

    def national(phone):
        return format_number(parse(phone), PhoneNumberFormat.NATIONAL)

    def product(arg):
        return subscriber_lookup_page(scene, arg["q"])

    kinds = [
        (
            "email",
            "exact email",
            "exact",
            [{"q": typed_case(p.email), "key": p.email_canonical} for p in people],
            "s.email_canonical = %s",
        ),
        (
            "subscriber_id",
            "Subscriber ID",
            "exact",
            [{"q": typed_case(p.public_id), "key": p.public_id} for p in people],
            "s.public_id = %s",
        ),
        (
            "phone",
            "full phone",
            "exact",
            [{"q": national(p.phone), "key": p.phone} for p in people],
            "s.phone = %s",
        ),
    ]
    paths = [
        Path(
            key=f"subscriber_lookup.{key}",
            label=f"Subscriber Lookup, {label}",
            group=group,
            product=product,
            ceiling=_subscriber_ceiling(scene, where, lambda arg: arg["key"]),
            ceiling_label=f"indexed {where.split(' = ')[0][2:]} = ?",
            inputs=inputs,
            agree=_same_ids,
        )
        for key, label, group, inputs, where in kinds
    ]
    parts = [
        ("name", "part of a name", [part(p.last_name, 5) for p in people]),
        (
            "email_part",
            "part of an email",
            [part(p.email_canonical.split("@")[0], 6) for p in people],
        ),
        ("billing_id", "part of a Billing ID", [part(p.billing_id, 7) for p in people]),
    ]
    paths += [
        Path(
            key=f"subscriber_lookup.{key}",
            label=f"Subscriber Lookup, {label}",
            group="partial",
            product=product,
            ceiling=_text_ceiling(scene),
            ceiling_label="trigram index over names, emails, Billing IDs",
            inputs=[{"q": text, "part": text} for text in texts],
            agree=_same_ids,
        )
        for key, label, texts in parts
    ]
    return paths


def line_lookup_page(scene: Scene, query: str) -> list:
    """What the Phone Line Lookup page runs: a whole number or DNIS opens that
    number; anything else lists the numbers whose DNIS contains the digits."""
    from csrtool.numberpool import services
    from csrtool.numberpool.models import PhoneNumber

    dnis = services.named_dnis(actor=scene.csr, value=query)
    if dnis is not None:
        return list(PhoneNumber.objects.for_actor(scene.csr).filter(dnis=dnis))
    return PhoneNumber.objects.line_lookup(scene.csr, query).page(None).items


def browse_page(scene: Scene, filters: dict, after: str | None) -> list:
    """What Browse Available Numbers runs for its filters and cursor."""
    from csrtool.numberpool.models import NumberType, PhoneNumber

    queryset = (
        PhoneNumber.objects.for_actor(scene.csr).available().select_related("partner")
    )
    if hasattr(queryset, "filtered"):
        queryset = queryset.filtered(
            country_code=filters.get("country", ""),
            number_type=filters.get("type", "")
            if filters.get("type") in NumberType.values
            else "",
            area_code=filters.get("area", ""),
        )
        return queryset.page(after).items
    if filters.get("country"):
        queryset = queryset.filter(country_code=filters["country"])
    if filters.get("type") in NumberType.values:
        queryset = queryset.filter(number_type=filters["type"])
    if filters.get("area"):
        queryset = queryset.filter(area_code=filters["area"])
    return queryset.page(after).items


def _browse_ceiling(scene: Scene, where: str, params):
    """The page's own query, raw: its order is the index it walks."""
    statement = (
        "SELECT n.* FROM numberpool_phonenumber n "  # noqa: S608
        f"WHERE n.partner_id = %s AND {where} ORDER BY n.number LIMIT {PAGE + 1}"
    )
    partner = scene.partner.pk
    return lambda arg: scene.fetch(statement, (partner, *params(arg)))


def _number_walk(scene: Scene):
    """The other plan for a page of numbers whose DNIS contains the digits
    (and does not end in them: those come first, see _ending_first): walk the
    partner's numbers in number order (their index) and test each DNIS,
    stopping at the page's last match. Cheap for a text found early in number
    order, a whole partner for a rare one."""
    statement = (
        "SELECT t.* FROM numberpool_phonenumber t WHERE t.partner_id = %s "
        "AND (t.dnis || '') LIKE %s AND t.dnis NOT LIKE %s "
        "ORDER BY t.number LIMIT " + str(PAGE + 1)
    )
    partner = scene.partner.pk
    return lambda arg: scene.fetch(statement, (partner, f"%{arg}%", f"%{arg}"))


def _ending_first(scene: Scene, rest: Callable) -> Callable:
    """The page's own two parts, raw: the numbers whose DNIS ends in the
    digits, from the index of DNIS endings, then (when they do not fill the
    page) the rest of the matches as `rest` reads them."""
    from csrtool.numberpool.models import ENDING_DIGITS

    ending = f"right(t.dnis, {ENDING_DIGITS})"
    if scene.vendor == "sqlite":
        ending = f"substr(t.dnis, -{ENDING_DIGITS})"
    statement = (
        f"SELECT t.* FROM numberpool_phonenumber t WHERE {ending} = %s "  # noqa: S608
        "AND t.partner_id = %s AND t.dnis LIKE %s "
        f"ORDER BY {_driven(scene, 't.number')} LIMIT {PAGE + 1}"
    )
    partner = scene.partner.pk

    def page(arg):
        rows = scene.fetch(statement, (arg[-ENDING_DIGITS:], partner, f"%{arg}"))
        if len(rows) <= PAGE:
            rows += rest(arg)[: PAGE + 1 - len(rows)]
        return rows

    return page


def _ranked_hits(scene: Scene, hits: str, term: Callable) -> Callable:
    """The same page in one query: every trigram hit, those whose DNIS ends in
    the digits first, each part in number order (what the product runs for
    five digits or more, which end few numbers)."""
    order = _driven(scene, "t.dnis NOT LIKE %s, t.number")
    partner = scene.partner.pk
    if scene.vendor == "sqlite":
        statement = (
            "SELECT t.* FROM numberpool_phonenumber t WHERE t.partner_id = %s "  # noqa: S608
            f"AND t.id IN ({hits}) ORDER BY {order} LIMIT {PAGE + 1}"
        )
        return lambda arg: scene.fetch(statement, (partner, term(arg), f"%{arg}"))
    statement = (
        f"WITH hits AS MATERIALIZED ({hits}) SELECT t.* "  # noqa: S608
        "FROM numberpool_phonenumber t JOIN hits ON hits.id = t.id "
        f"WHERE t.partner_id = %s ORDER BY {order} LIMIT {PAGE + 1}"
    )
    return lambda arg: scene.fetch(statement, (term(arg), partner, f"%{arg}"))


def _faster_plan(plans: list, inputs: list, common) -> Callable:
    """A ceiling that runs, for each input, the faster of `plans` (the first
    for an input `common` says is not: the others read far more for it), as
    one untimed try of each finds it: what a planner that knew would do."""
    chosen = {}
    for arg in dict.fromkeys(inputs):
        if not common(arg):
            chosen[arg] = plans[0]
            continue
        times = []
        for plan in plans:
            started = time.perf_counter()
            plan(arg)
            times.append((time.perf_counter() - started, len(times)))
        chosen[arg] = plans[min(times)[1]]
    return lambda arg: chosen[arg](arg)


def number_paths(scene: Scene) -> list[Path]:
    from csrtool.numberpool.models import ENDING_DIGITS, FTS_TABLE, NumberType

    lines = scene.numbers(200)
    rng = scene.rng
    if scene.vendor == "sqlite":
        hits = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    else:
        hits = "SELECT id FROM numberpool_phonenumber WHERE dnis LIKE %s"

    def term(digits: str) -> str:
        return f'"{digits}"' if scene.vendor == "sqlite" else f"%{digits}%"

    digits = _hits_first(
        scene,
        "numberpool_phonenumber",
        hits,
        "t.number",
        term,
        also=("t.dnis NOT LIKE %s", lambda arg: (f"%{arg}",)),
    )
    counted = f"SELECT count(*) FROM ({hits} LIMIT {COMMON_HITS}) h"  # noqa: S608

    def common(arg) -> bool:
        return scene.fetch(counted, (term(arg),))[0][0] >= COMMON_HITS

    walk = _number_walk(scene)
    ranked = _ranked_hits(scene, hits, term)

    paths = []
    for length in (4, 6, 8):
        terms = []
        for line in lines:
            start = rng.randrange(0, len(line.dnis) - length + 1)
            terms.append(line.dnis[start : start + length])
        rest = _faster_plan([digits, walk], terms, common)
        paths.append(
            Path(
                key=f"line_lookup.{length}",
                label=f"Phone Line Lookup, {length} digits",
                group="numbers",
                product=lambda arg: line_lookup_page(scene, arg),
                # Four digits: the two parts. More: whichever of the two parts
                # and the one ranked query is faster for the input.
                ceiling=_faster_plan(
                    [_ending_first(scene, rest), ranked],
                    terms,
                    lambda arg: len(arg) > ENDING_DIGITS,
                ),
                ceiling_label="index of DNIS endings, then the trigram index on "
                "DNIS or the walk in number order; or the trigram hits ranked in "
                "one query; whichever is faster for the input",
                inputs=terms,
                agree=_same_ids,
            )
        )
    now = scene.stamp(timezone.now())
    available = (
        "(n.status = 'available' OR (n.status = 'held' AND n.held_until <= %s) "
        "OR (n.status = 'aging' AND n.aging_until <= %s))"
    )
    paths.append(
        Path(
            key="browse.first",
            label="Browse Available Numbers, first page",
            group="numbers",
            product=lambda arg: browse_page(scene, {}, None),
            ceiling=_browse_ceiling(scene, available, lambda arg: (now, now)),
            ceiling_label="same query, raw",
            inputs=[None],
            agree=_same_ids,
        )
    )
    local = scene.numbers(200, status="available", number_type="local")
    filtered = f"{available} AND n.country_code = %s AND n.number_type = %s "
    filtered += "AND n.area_code = %s AND n.number > %s"
    paths.append(
        Path(
            key="browse.filtered",
            label="Browse Available Numbers, later page, filtered",
            group="numbers",
            product=lambda arg: browse_page(
                scene, {"country": "1", "type": "local", "area": arg[0]}, arg[1]
            ),
            ceiling=_browse_ceiling(
                scene, filtered, lambda arg: (now, now, "1", "local", *arg)
            ),
            ceiling_label="same query, raw",
            inputs=[(line.area_code, line.number) for line in local],
            agree=_same_ids,
        )
    )
    rng.shuffle(paths[-1].inputs)
    # An area code and a type without a country, every pair of them: a type
    # the area has few or none of must not read the whole area (or type).
    areas = ("212", "415", "855", "20", "2", "30")
    pairs = [(area, kind) for area in areas for kind in NumberType.values]
    paths.append(
        Path(
            key="browse.area_type",
            label="Browse Available Numbers, an area code and a type",
            group="numbers",
            product=lambda arg: browse_page(
                scene, {"area": arg[0], "type": arg[1]}, None
            ),
            ceiling=_browse_ceiling(
                scene,
                f"{available} AND n.area_code = %s AND n.number_type = %s",
                lambda arg: (now, now, *arg),
            ),
            ceiling_label="same query, raw",
            inputs=pairs,
            agree=_same_ids,
        )
    )
    return paths
