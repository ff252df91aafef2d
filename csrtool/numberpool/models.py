import json
from collections.abc import Iterator

import phonenumbers
from django.conf import settings
from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Contains, EndsWith, Exact, In
from django.utils import timezone
from django.utils.translation import gettext_lazy

from csrtool.csvfiles import lines_of
from csrtool.pagination import Page
from csrtool.partners.models import Partner
from csrtool.prepared import Prepared
from csrtool.scoping import PartnerScopedQuerySet, Tested
from csrtool.subscribers.models import Subscriber
from csrtool.timezones import rfc3339
from csrtool.validation import calling_code, format_phone

# The FTS5 table that mirrors PhoneNumber.dnis on SQLite (see migration 0002).
FTS_TABLE = "numberpool_phonenumber_fts"
FTS_INSERT_TRIGGER = "numberpool_phonenumber_fts_insert"
_FTS_MATCH = (
    "SELECT rowid FROM numberpool_phonenumber_fts "
    "WHERE numberpool_phonenumber_fts MATCH %s"
)
# Trigram indexes need three characters; shorter searches match a prefix instead.
TRIGRAM_MIN = 3
# Digits this many or more list the numbers ending in them first; the index of
# DNIS endings holds this many digits of each.
ENDING_DIGITS = 4
# A cursor within those numbers ending in the digits starts with this letter.
ENDING_CURSOR = "e"
# Three digits held by this many numbers or more are listed by walking the pool
# in number order rather than by sorting every match (see PhoneNumberQuerySet.page).
COMMON_MATCHES = 5000


class NumberStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    HELD = "held", "Held"
    ASSIGNED = "assigned", "Assigned"
    AGING = "aging", "Aging"
    RETIRED = "retired", "Retired"


class NumberType(models.TextChoices):
    TOLLFREE = "tollfree", gettext_lazy("Toll-free")
    LOCAL = "local", gettext_lazy("Local")
    INTL_LOCAL = "intl_local", gettext_lazy("International local")
    INTL_TOLLFREE = "intl_tollfree", gettext_lazy("International toll-free")


def claimable(now, subscriber=None) -> Q:
    """Rows a subscriber may take now: free ones, lapsed holds and finished aging,
    plus their own hold and, while it ages, their own former number."""
    condition = (
        Q(status=NumberStatus.AVAILABLE)
        | Q(status=NumberStatus.HELD, held_until__lte=now)
        | Q(status=NumberStatus.AGING, aging_until__lte=now)
    )
    if subscriber is not None:
        condition |= Q(status=NumberStatus.HELD, subscriber=subscriber) | Q(
            status=NumberStatus.AGING, previous_subscriber=subscriber
        )
    return condition


def _value_list(values) -> RawSQL | list:
    """Many values for `__in` as one bound parameter: an IN list of thousands of
    parameters costs more to compile than the lookup itself costs to run."""
    values = [str(value) for value in values]
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])  # noqa: S611
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::varchar[])", [values])  # noqa: S611
    return values


class _AnyOf(models.Lookup):
    """`column = ANY(%s::varchar[])` (PostgreSQL): many values as one bound
    array that stays an index condition inside an OR, where `IN (SELECT
    unnest(…))` becomes a hashed subplan tested against every row."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[str(item) for item in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::varchar[])", [*lhs_params, *rhs_params]


class _Unindexed(Func):
    """A text column's own value, in a form no index answers for, so that a
    trigram match drives the query. Else the planner may walk an index of the
    whole pool in number order and test each row against the match: SQLite
    plans without statistics, and PostgreSQL guesses how many rows a LIKE
    '%…%' matches; a rare term then reads the whole pool for one page."""

    template = "(%(expressions)s || '')"
    output_field = models.CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s")


class DnisEnding(Func):
    """The last four digits of a DNIS, as its own index holds them: it finds the
    numbers ending in typed digits without reading every number that contains
    them (four common digits are inside tens of thousands of a million numbers,
    at the end of about a hundred)."""

    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra):
        template = f"RIGHT(%(expressions)s, {ENDING_DIGITS})"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = f"SUBSTR(%(expressions)s, -{ENDING_DIGITS})"
        return super().as_sql(compiler, connection, template=template, **extra)


class _DigitsMatch(Func):
    """Whether a number's DNIS contains the digits, through the trigram index.

    A page of a search reads the matches in two parts (see
    PhoneNumberQuerySet.page), named on the query as `digits_part`: "ending",
    the numbers whose DNIS ends in the digits, from the index of endings; then
    "rest", the other matches; "walk", every match read off each row in turn,
    not through the index. Unnamed, it is every match."""

    output_field = models.BooleanField()

    def __init__(self, digits: str):
        super().__init__(F("pk"), F("dnis"))
        self.digits = digits

    def as_sql(self, compiler, connection, **extra):
        pk, dnis = self.get_source_expressions()
        part = getattr(compiler.query, "digits_part", None)
        if part:
            ends, ends_params = compiler.compile(EndsWith(dnis, self.digits))
        if part == "ending":
            # Only digits as many as an ending holds are read in parts (see
            # PhoneNumberQuerySet.page): the ending is the whole of them.
            sql, params = compiler.compile(Exact(DnisEnding(dnis), self.digits))
            return f"({sql} AND {ends})", [*params, *ends_params]
        if part == "walk":
            return compiler.compile(Contains(_Unindexed(dnis), self.digits))
        if connection.vendor == "sqlite":
            # A constant query with a bound parameter of digits only, so the
            # quoted FTS5 phrase cannot carry any syntax.
            match = RawSQL(_FTS_MATCH, [f'"{self.digits}"'])  # noqa: S611
            sql, params = compiler.compile(In(pk, match))
        else:
            # LIKE '%…%' is answered by the pg_trgm GIN index.
            sql, params = compiler.compile(Contains(dnis, self.digits))
        if part == "rest":
            return f"({sql} AND NOT {ends})", [*params, *ends_params]
        return sql, params


def prefix_end(prefix: str) -> str | None:
    """The first string after every string starting with `prefix` (digits
    after an optional +), or None when there is none."""
    head, digits = prefix[:1] if prefix.startswith("+") else "", prefix.lstrip("+")
    if not digits or set(digits) == {"9"}:
        return None
    width = len(digits)
    return head + f"{int(digits) + 1:0{width}d}"


class PhoneNumberQuerySet(PartnerScopedQuerySet):
    # Set by search_digits: the trigram match drives the query, and the order
    # and cursor of its pages must not draw the planner to another index.
    _trigram = False
    # Set by search_digits to digits long enough to list the numbers ending in
    # them first.
    ending = ""
    # Set by search_digits: the digits searched for.
    digits = ""
    # Set by line_lookup on its own queryset alone (a queryset made from it
    # runs its own queries): the actor whose pages run prepared queries.
    _prepared_for = None

    def _clone(self):
        clone = super()._clone()
        clone._trigram = self._trigram
        clone.ending = self.ending
        clone.digits = self.digits
        return clone

    def line_lookup(self, actor, digits: str):
        """The actor's numbers whose DNIS contains the digits (search_digits),
        each with its subscriber and, for an operator, its partner: what Phone
        Line Lookup lists, on the page, in the API and in the CLI. Its pages
        (page) run queries compiled once per shape and database (see
        `_DIGITS_STEP`) instead of on every call: building and compiling them
        took a third of a lookup's time on PostgreSQL."""
        queryset = (
            self.for_actor(actor)
            .search_digits(digits)
            .select_related("subscriber", "partner")
        )
        if queryset._trigram and not self.query.has_filters():
            queryset._prepared_for = actor
        return queryset

    def for_partner(self, partner):
        """The partner's numbers, each row given the partner object itself
        (a page then joins and builds no partner per row)."""
        queryset = super().for_partner(partner)
        if isinstance(partner, Partner):
            field = self.model._meta.get_field("partner")
            queryset._known_related_objects = {
                **queryset._known_related_objects,
                field: {partner.pk: partner},
            }
        return queryset

    def _without_known_joins(self):
        """This queryset without the joins of related rows it already knows."""
        joins = self.query.select_related
        known = {field.name for field in self._known_related_objects}
        if not isinstance(joins, dict) or not known & joins.keys():
            return self
        queryset = self._chain()
        queryset.query.select_related = {
            name: more for name, more in joins.items() if name not in known
        } or False
        return queryset

    def available(self, now=None):
        """Free to assign now (a lapsed hold or a finished aging period counts)."""
        return self.filter(claimable(now or timezone.now()))

    def assigned(self):
        return self.filter(status=NumberStatus.ASSIGNED)

    def owned_by(self, subscriber: Subscriber, now=None, *, kept=False):
        """The subscriber's numbers, of its own partner: those assigned to it
        and, if `kept`, those held for it and those it gave up that are still
        aging (it can have them back). Found through the indexes of each
        number's owner and former owner; partner, state and dates are only
        tested on what those find (a partner's assigned numbers may be a fifth
        of its pool)."""
        now = now or timezone.now()
        queryset = self.alias(
            _partner=Tested(F("partner_id")),
            _state=Tested(F("status")),
            _held_until=Tested(F("held_until")),
            _aging_until=Tested(F("aging_until")),
        )
        mine = Q(_state=NumberStatus.ASSIGNED)
        if kept:
            mine |= Q(_state=NumberStatus.HELD, _held_until__gt=now)
        condition = Q(subscriber=subscriber) & mine
        if kept:
            condition |= Q(
                previous_subscriber=subscriber,
                _state=NumberStatus.AGING,
                _aging_until__gt=now,
            )
        return queryset.filter(condition, _partner=subscriber.partner_id)

    def in_state(self, state: str, now=None):
        """The numbers a reader sees in this state (see effective_status): a
        lapsed hold or a finished aging period reads as available."""
        now = now or timezone.now()
        if state == NumberStatus.AVAILABLE:
            return self.available(now)
        if state == NumberStatus.HELD:
            return self.filter(status=state, held_until__gt=now)
        if state == NumberStatus.AGING:
            return self.filter(status=state, aging_until__gt=now)
        return self.filter(status=state)

    def with_number_or_dnis(self, numbers, dnis):
        """Rows whose number (E.164) or DNIS is among these, however many: each
        side answered by its unique index."""
        if connection.vendor == "postgresql":
            return self.filter(Q(number__any_of=numbers) | Q(dnis__any_of=dnis))
        return self.filter(
            Q(number__in=_value_list(numbers)) | Q(dnis__in=_value_list(dnis))
        )

    def filtered(self, *, country_code="", number_type="", area_code="", status=""):
        """The numbers of a country code, a type, an area code and a status
        (any of them). A country code may be given as a country's two letters
        (GB: 44); a code no number can have gives no numbers.

        A number is + country code + national number, and an area code is the
        start of the national number, so a country (and area) code is also a
        range of numbers: the pool's index in number order answers it, and
        each page reads only the rows it shows. After search_digits the
        trigram match drives instead, and these only sort out its rows.
        """
        queryset = self
        country_code = calling_code(country_code)
        area_code = str(area_code or "").strip()
        digits = area_code.isascii() and area_code.isdigit()
        if country_code is None or (area_code and not digits):
            # A number's codes are digits alone: no number has these.
            return self.none()
        given = {
            "country_code": country_code,
            "number_type": number_type,
            "area_code": area_code,
            "status": status,
        }
        for column, value in given.items():
            if not value:
                continue
            if self._trigram:
                name = f"_{column}"
                queryset = queryset.alias(**{name: _Unindexed(F(column))})
                queryset = queryset.filter(**{name: value})
            else:
                queryset = queryset.filter(**{column: value})
        if country_code and not self._trigram:
            prefix = "+" + country_code + area_code
            queryset = queryset.filter(number__gte=prefix)
            end = prefix_end(prefix)
            if end is not None:
                queryset = queryset.filter(number__lt=end)
        return queryset

    def _number(self):
        return _Unindexed(F("number")) if self._trigram else F("number")

    def in_order(self):
        # The number is unique: it orders the rows on its own.
        return self.order_by(self._number().asc())

    def page(self, after: str | None, *, size: int = 50) -> Page:
        """One page in number order after the number `after` (keyset pagination).

        A search for four digits or more lists the numbers whose DNIS ends in
        them first, then the others that contain them, each part in number
        order: a CSR types the end of a number far more often than its middle.
        Four digits end about one number in ten thousand, a page's worth at a
        million, so those come from their own index, however many numbers hold
        the digits inside; more digits end so few numbers that one query of
        the matches, ranked, answers sooner. Three digits held by thousands of
        numbers (`442`, the start of every London DNIS, is in 85,000 of a
        million) are found sooner by walking the pool in number order and
        testing each DNIS: about one number in a hundred holds any three digits
        somewhere, so a page is found within a few thousand numbers, where
        sorting every match took 190 ms.
        """
        after = str(after or "")
        # The cursor is an E.164 number; anything else in it is forged.
        number = "".join(ch for ch in after if ch in "+0123456789")[:20]
        if not self.ending:
            step = "walk" if self._trigram and self._common() else "all"
            items = self._fetch(step, "", number, size + 1)
        elif len(self.ending) > ENDING_DIGITS:
            cursor = "ending" if after.startswith(ENDING_CURSOR) else "rest"
            items = self._fetch("ranked", cursor if after else "", number, size + 1)
            # The rows are read in number order alone (see _rows_of).
            items.sort(
                key=lambda line: (not line.dnis.endswith(self.ending), line.number)
            )
        elif after and not after.startswith(ENDING_CURSOR):
            items = self._fetch("rest", "", number, size + 1)
        else:
            items = self._fetch("ending", "", number, size + 1)
            if len(items) <= size:
                items += self._fetch("rest", "", "", size + 1 - len(items))
        next_cursor = None
        if len(items) > size:
            items = items[:size]
            last = items[-1]
            ends = self.ending and last.dnis.endswith(self.ending)
            next_cursor = (ENDING_CURSOR if ends else "") + last.number
        return Page(items=items, next_cursor=next_cursor)

    def _fetch(self, step: str, cursor: str, number: str, count: int) -> list:
        """The rows of one step of a page (see _step)."""
        actor = self._prepared_for
        if actor is None:
            return list(self._step(step, cursor, number, count))
        operator = actor.is_operator
        shape = (operator, step, cursor, bool(number), count)
        scope = [] if operator else [actor.partner.pk]
        after = [number] if number else []
        rows = _DIGITS_STEP.rows(shape, *scope, self.digits, *after, using=self.db)
        if not operator:
            for line in rows:
                line.partner = actor.partner
        return rows

    def _step(self, step: str, cursor: str, number: str, count: int):
        """One query of a page: the first `count` rows after the number
        `number` (a clean E.164 number, or "") of the search's matches ("all"),
        of the same found by walking the pool in number order ("walk"), of
        those ending in its digits ("ending") or of the others ("rest"); or
        of all the matches ranked, those ending in the digits first
        ("ranked"), after a cursor within the first ("ending") or the second
        part ("rest") of them, or from the start ("")."""
        if step == "ranked":
            return self._ranked(cursor, number, count)
        queryset = self._part(step) if step != "all" else self
        if step == "walk":
            queryset._trigram = False  # in number order, through its index
        return queryset._in_order_after(number, count)

    def _common(self) -> bool:
        """Whether COMMON_MATCHES numbers or more (of any partner) hold the
        digits, counted through the trigram index up to that many."""
        if connection.vendor == "sqlite":
            hits, term = _FTS_MATCH, f'"{self.digits}"'
        else:
            hits = "SELECT 1 FROM numberpool_phonenumber WHERE dnis LIKE %s"
            term = f"%{self.digits}%"
        counted = f"SELECT count(*) FROM ({hits} LIMIT {COMMON_MATCHES}) hits"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(counted, [term])
            return cursor.fetchone()[0] >= COMMON_MATCHES

    def _part(self, name: str):
        """The search's matches ending in its digits, or the rest of them."""
        queryset = self._chain()
        queryset.query.digits_part = name
        return queryset

    def _in_order_after(self, number: str, count: int):
        """The first `count` rows in number order after the number `number`."""
        queryset = self._without_known_joins().in_order()
        if number:
            queryset = queryset.alias(_after=self._number()).filter(_after__gt=number)
        if self._trigram and connection.vendor == "postgresql":
            queryset = queryset._rows_of(queryset.values("pk")[:count])
        return queryset[:count]

    def _ranked(self, cursor: str, number: str, count: int):
        """The first `count` matches after the cursor, those ending in the
        digits first, each part in number order, in one query."""
        rest = ExpressionWrapper(
            ~Q(dnis__endswith=self.ending), output_field=models.BooleanField()
        )
        queryset = self._without_known_joins().alias(
            _rest=rest, _in_order=self._number()
        )
        if cursor == "ending":
            queryset = queryset.filter(
                Q(_rest=False, _in_order__gt=number) | Q(_rest=True)
            )
        elif cursor == "rest":
            queryset = queryset.filter(_rest=True, _in_order__gt=number)
        queryset = queryset.order_by("_rest", "_in_order")
        if connection.vendor == "postgresql":
            queryset = queryset._rows_of(queryset.values("pk")[:count])
        return queryset[:count]

    def _rows_of(self, page_ids):
        """The rows of a page of ids, joined to what this queryset selects
        once the page is cut: a search's matches are sorted first, and only
        the page's rows read their subscriber and partner. (PostgreSQL only:
        SQLite would answer the ids from a covering index of the whole
        partner instead of from the matches.)"""
        rows = self.model._default_manager.filter(pk__in=page_ids)
        rows.query.select_related = self.query.select_related
        rows._known_related_objects = self._known_related_objects
        rows._trigram = True
        return rows.in_order()

    def search_digits(self, digits: str):
        """Numbers whose DNIS contains `digits`, through the trigram index.

        Fewer than three digits cannot use a trigram index and match as a prefix.
        """
        raw = str(digits or "").strip()
        # Digits of any script count (a full-width ５ is a 5); ² and the like do not.
        digits = "".join(str(int(ch)) for ch in raw if ch.isdecimal())
        if raw.startswith("+"):
            # "+1 800 555": the DNIS may hold only the national digits; what follows
            # the country code is part of every form a DNIS can take.
            for length in (1, 2, 3):
                if (
                    int(digits[:length] or 0)
                    in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
                ):
                    digits = digits[length:]
                    break
        if not digits:
            return self.none()
        if len(digits) < TRIGRAM_MIN:
            return self.filter(dnis__startswith=digits)
        return self._matching(digits, ending=len(digits) >= ENDING_DIGITS)

    def _matching(self, digits: str, *, ending: bool):
        """Numbers whose DNIS contains `digits` (three or more), through the
        trigram index; `ending`: the digits are enough to list the numbers
        ending in them first."""
        queryset = self.filter(_DigitsMatch(digits))
        queryset._trigram = True
        queryset.digits = digits
        if ending:
            queryset.ending = digits
        return queryset


def _digits_step(shape, *values):
    """One query of a page of `line_lookup` (PhoneNumberQuerySet._step), from
    its values: the partner (not for an operator), the digits, and the number
    of the cursor where the query reads after one."""
    operator, step, cursor, after, count = shape
    values = list(values)
    queryset = PhoneNumber.objects.select_related("subscriber")
    if operator:
        queryset = queryset.select_related("partner")
    else:
        queryset = queryset.filter(partner=values.pop(0))
    queryset = queryset._matching(values.pop(0), ending=step not in ("all", "walk"))
    number = values.pop(0) if after else ""
    return queryset._step(step, cursor, number, count)


_DIGITS_STEP = Prepared(_digits_step)


class PhoneNumber(models.Model):
    """A line of a partner's pool: a number, the DNIS the carrier delivers for it,
    and who (if anyone) it belongs to."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="numbers"
    )
    number = models.CharField("Phone Number", max_length=20)
    dnis = models.CharField("DNIS", max_length=20)
    number_type = models.CharField("Type", max_length=20, choices=NumberType.choices)
    country_code = models.CharField(max_length=4)
    area_code = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        max_length=20, choices=NumberStatus.choices, default=NumberStatus.AVAILABLE
    )
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="numbers",
    )
    held_until = models.DateTimeField(null=True, blank=True)
    aging_until = models.DateTimeField(null=True, blank=True)
    # While a number ages, its last owner may take it back.
    previous_subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The bulk import that added the number (its history's first entry), if any.
    imported_by = models.ForeignKey(
        "NumberImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
    )

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dnis"],
                name="number_dnis_unique",
                violation_error_message="This DNIS is already in use.",
            ),
            models.UniqueConstraint(
                fields=["number"],
                name="number_e164_unique",
                violation_error_message="This phone number is already in use.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=NumberStatus.ASSIGNED, subscriber__isnull=False)
                    | Q(
                        status=NumberStatus.HELD,
                        subscriber__isnull=False,
                        held_until__isnull=False,
                    )
                    | Q(
                        status__in=[
                            NumberStatus.AVAILABLE,
                            NumberStatus.AGING,
                            NumberStatus.RETIRED,
                        ],
                        subscriber__isnull=True,
                    )
                ),
                name="number_subscriber_matches_status",
                violation_error_message=(
                    "A number has a subscriber exactly when it is assigned or held."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=NumberStatus.AGING) | Q(aging_until__isnull=False),
                name="number_aging_has_end",
                violation_error_message="An aging number needs the end of its period.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NumberStatus.values),
                name="number_status_known",
                violation_error_message="Unknown number status.",
            ),
        ]
        indexes = [
            # Browse and list in number order, by any filter: a country (and
            # area) code is a range of numbers (see PhoneNumberQuerySet.filtered),
            # a type or an area code alone has its own index in number order,
            # and so do both together: a type an area has few or none of would
            # otherwise read the whole area (or the whole type) for one page.
            models.Index(fields=["partner", "number"], name="number_partner_order"),
            models.Index(
                fields=["partner", "number_type", "number"],
                name="number_partner_type_order",
            ),
            models.Index(
                fields=["partner", "area_code", "number"],
                name="number_partner_area_order",
            ),
            models.Index(
                fields=["partner", "area_code", "number_type", "number"],
                name="number_partner_area_type_order",
            ),
            # Number Pool Admin's list by state: a rare state (retired, held)
            # would otherwise walk the whole pool in number order for one page.
            models.Index(
                fields=["partner", "status", "number"],
                name="number_partner_status_order",
            ),
            # Phone Line Lookup: the numbers ending in typed digits.
            models.Index(DnisEnding("dnis"), F("partner"), name="number_dnis_ending"),
            models.Index(fields=["status", "held_until"], name="number_hold_expiry"),
            models.Index(fields=["status", "aging_until"], name="number_aging_expiry"),
        ]

    def __str__(self):
        return self.number_display

    @property
    def number_display(self):
        return format_phone(self.number)

    def effective_status(self, now=None) -> str:
        """The status a reader sees: a lapsed hold or a finished aging is available."""
        now = now or timezone.now()
        if self.status == NumberStatus.HELD and self.held_until <= now:
            return NumberStatus.AVAILABLE
        if self.status == NumberStatus.AGING and self.aging_until <= now:
            return NumberStatus.AVAILABLE
        return self.status

    def effective_status_display(self, now=None) -> str:
        return NumberStatus(self.effective_status(now)).label

    def audit_snapshot(self) -> dict:
        return {
            "number": self.number,
            "dnis": self.dnis,
            "number_type": self.number_type,
            "country_code": self.country_code,
            "area_code": self.area_code,
            "status": self.status,
            "subscriber": self.subscriber.public_id if self.subscriber_id else None,
            "held_until": rfc3339(self.held_until) if self.held_until else None,
            "aging_until": rfc3339(self.aging_until) if self.aging_until else None,
        }


class NumberAssignmentQuerySet(PartnerScopedQuerySet):
    partner_field = "number__partner"

    def open(self):
        return self.filter(released_at__isnull=True)


class NumberAssignment(models.Model):
    """One owner of a number, from assignment to release: the number's history."""

    number = models.ForeignKey(
        PhoneNumber, on_delete=models.CASCADE, related_name="assignments"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="number_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by_label = models.CharField(max_length=300, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_by_label = models.CharField(max_length=300, blank=True)

    objects = NumberAssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(released_at__isnull=True),
                name="number_one_open_assignment",
                violation_error_message="This number is already assigned.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["number", "-assigned_at"], name="assignment_number_time"
            ),
            models.Index(
                fields=["subscriber", "-assigned_at"],
                name="assignment_subscriber_time",
            ),
        ]

    def __str__(self):
        return f"{self.number} → {self.subscriber.public_id}"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"


class NumberImportQuerySet(PartnerScopedQuerySet):
    def open(self):
        return self.filter(status__in=[ImportStatus.PREVIEWED, ImportStatus.RUNNING])

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class NumberImport(models.Model):
    """A bulk add to a partner's pool (a file or a range): its rows, as uploaded,
    and how far writing them has got, so an interrupted import can continue."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by_label = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # What the preview promised, then what writing did.
    planned_add = models.PositiveIntegerField(default=0)
    planned_present = models.PositiveIntegerField(default=0)
    planned_errors = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # One letter per row, in file order (a: will add / added, p: already present,
    # e: error), and each error row's reason by line number.
    outcomes = models.TextField(blank=True)
    problems = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The background job writing the rows, once the import was started.
    task_id = models.CharField(max_length=64, blank=True)

    objects = NumberImportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "file_hash"],
                condition=Q(status__in=["previewed", "running"]),
                name="number_import_one_open_per_file",
                violation_error_message="This file is already being imported.",
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("total_rows")),
                name="number_import_progress_within_total",
                violation_error_message="An import cannot do more rows than it has.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "-created_at", "-id"], name="number_import_newest"
            ),
        ]

    def __str__(self):
        return self.file_name or f"Import {self.pk}"

    def lines(self) -> Iterator[str]:
        """The file's lines as uploaded, endings kept, read a piece at a time.

        One query a piece: a queryset over them all would fetch every piece at
        once, and a cursor kept open would span the commits a run makes
        between its reads."""
        pieces = NumberImportPiece.objects.filter(number_import=self)
        for pk in list(pieces.order_by("position").values_list("pk", flat=True)):
            yield from lines_of(pieces.values_list("content", flat=True).get(pk=pk))

    @property
    def is_open(self) -> bool:
        return self.status != ImportStatus.COMPLETED

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100
        return self.rows_done * 100 // self.total_rows


class NumberImportPiece(models.Model):
    """An import's file as uploaded, in pieces of whole lines (`PIECE_SIZE`
    characters or so), so that neither storing nor reading a file holds it
    whole. Kept apart from the import's progress: SQLite rewrites a whole row
    on every update, and an import updates its progress once a chunk."""

    PIECE_SIZE = 1 << 20

    number_import = models.ForeignKey(
        NumberImport, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField()
    content = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["number_import", "position"], name="number_import_piece_once"
            ),
        ]

    def __str__(self):
        return f"{self.number_import}, piece {self.position + 1}"


# number__any_of and dnis__any_of (PostgreSQL): see _AnyOf.
for _name in ("number", "dnis"):
    PhoneNumber._meta.get_field(_name).register_lookup(_AnyOf)
