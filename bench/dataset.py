"""The benchmark data: reproducible rows of subscribers, numbers, the side rows
lookups read (open assignments, enabled features) and the audit trail, from a
fixed seed.

One partner holds `size` subscribers and `size` numbers (the partner a large OEM
would be); three more share a tenth of that, so every read also has to keep other
partners' rows out. Rows are tuples in the column order of `*_COLUMNS`, with the
values the product itself would store (canonical email, E.164 phone, DNIS digits,
UTC times), so a bulk load gives the same table as the product's own writes.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SEED = 9
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
MAIN = "bench-main"
OTHERS = ("bench-second", "bench-third", "bench-fourth")
TIME_ZONE = "America/New_York"
# The newest row is this old: every run sees the same ages, holds and aging ends.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY = timedelta(days=3 * 365)
# Toll-free blocks kept out of the data set for the bulk-import runs.
IMPORT_BLOCKS = {"cli": "800", "api": "888", "ceiling": "877"}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SUBSCRIBER_COLUMNS = _words(
    "id public_id partner_id first_name last_name email email_canonical "
    "contact_email phone time_zone billing_id status created_at updated_at "
    "activated_at closed_at"
)
NUMBER_COLUMNS = _words(
    "id partner_id number dnis number_type country_code area_code status "
    "subscriber_id held_until aging_until previous_subscriber_id created_at "
    "updated_at"
)
ASSIGNMENT_COLUMNS = _words("number_id subscriber_id assigned_at released_at")
FEATURE_COLUMNS = _words("subscriber_id feature_id source changed_at")
AUDIT_COLUMNS = _words(
    "partner_id created_at actor_kind actor_label actor_role channel action "
    "outcome target_type target_id target_label after"
)
# What a partner's trail holds, and how often: (action, weight, target, door).
# Most events are a CSR onboarding and serving customers; a few actions happen
# a handful of times a year, and those are what an audit is looking for.
AUDIT_ACTIONS = (
    ("subscriber.created", 250, "subscriber", "staff"),
    ("number.assigned", 200, "phonenumber", "staff"),
    ("subscriber.updated", 120, "subscriber", "staff"),
    ("subscriber.features_changed", 100, "subscriber", "staff"),
    ("portal.login", 80, "subscriber", "portal"),
    ("staff.login", 70, "", "staff"),
    ("number.unassigned", 60, "phonenumber", "staff"),
    ("onboarding.welcome_email_queued", 50, "subscriber", "staff"),
    ("subscriber.status_changed", 20, "subscriber", "api"),
    ("number.held", 20, "phonenumber", "api"),
    ("subscriber.caller_verification", 15, "subscriber", "staff"),
    ("staff.login_failed", 3, "", "staff"),
    ("number.retired", 1, "phonenumber", "staff"),
    ("api_key.created", 0.05, "", "staff"),
    ("staff.invited", 0.05, "", "staff"),
    ("partner.updated", 0.02, "", "staff"),
    ("audit.exported", 0.01, "", "staff"),
)
# The partner's staff besides the two the suite signs in as, who act the most.
AUDIT_STAFF = 40
_ONSETS = _words("b br c ch d f g gr h j k l m n p r s sh st t th v w z")
_VOWELS = _words("a e i o u ai ea ie oa ou y")
_CODAS = ("", "", *_words("n r l s th nd rt ck m x"))  # often no closing sound
_AREAS = _words(
    "201 202 203 205 206 207 212 213 214 215 216 217 301 302 303 304 305 "
    "310 312 313 314 315 401 402 404 405 406 407 408 409 410 412 415 503 "
    "504 505 512 513 602 603 604 614 615 617 619 702 703 704 713 714 718 "
    "801 802 803 804 805 901 903 904 907 917 919 925 949 971 973"
)
_TOLLFREE = ("855", "844", "833")
_ZONES = (
    ["America/New_York"] * 6
    + ["America/Chicago"] * 3
    + ["America/Denver", "America/Los_Angeles", "America/Los_Angeles"]
    + ["America/Phoenix", "Europe/London", "Australia/Sydney"]
)
_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass(frozen=True)
class Layout:
    """How many rows each partner gets, and where each partner's ids start."""

    size: int

    @property
    def per_other(self) -> int:
        return max(1, self.size // 30)

    @property
    def total(self) -> int:
        return self.size + len(OTHERS) * self.per_other

    def spans(self, partner_ids: dict[str, int]) -> list[tuple[int, int, int]]:
        """(partner id, first row id, last row id + 1) per partner."""
        spans, start = [], 1
        for slug in (MAIN, *OTHERS):
            count = self.size if slug == MAIN else self.per_other
            spans.append((partner_ids[slug], start, start + count))
            start += count
        return spans


def _word(rng, syllables):
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
        for _ in range(syllables)
    ).capitalize()


def _vocabulary(rng, count, syllables):
    words = set()
    while len(words) < count:
        words.add(_word(rng, rng.choice(syllables)))
    words = sorted(words)
    rng.shuffle(words)
    # A few very common names and a long tail of rare ones, as in real books.
    weights = [1 / (rank + 1) ** 0.9 for rank in range(count)]
    return words, weights


def _public_id(rng) -> str:
    digits = f"{rng.getrandbits(80) % 10**24:024d}"
    return "-".join(
        [
            f"{rng.getrandbits(32):08x}",
            digits[:2],
            digits[2:13],
            digits[13:21],
            digits[21:24],
        ]
    )


def _created(i: int, total: int) -> datetime:
    """Creation times rising with the id, oldest three years before EPOCH."""
    return EPOCH - HISTORY + HISTORY * (i / total)


def status_of(subscriber_id: int) -> str:
    """An account's status, a function of its id so numbers can avoid closed ones:
    70 % active, 20 % pending activation, 7 % suspended, 3 % closed."""
    roll = subscriber_id * 2654435761 % 100
    if roll < 70:
        return "active"
    if roll < 90:
        return "pending_activation"
    return "suspended" if roll < 97 else "closed"


def subscribers(
    layout: Layout, partner_ids: dict[str, int], emails: list | None = None, seed=SEED
):
    """Subscriber rows; statuses as a living pool has them (most active). Each
    row's (Subscriber ID, email) also goes into `emails`, when given."""
    rng = random.Random(f"subscribers-{seed}-{layout.size}")
    firsts, first_weights = _vocabulary(rng, 900, (1, 2))
    lasts, last_weights = _vocabulary(rng, 40_000, (2, 2, 3))
    total = layout.total
    batch = 50_000
    for partner_id, start, end in layout.spans(partner_ids):
        prefix = f"P{partner_id}"
        for low in range(start, end, batch):
            high = min(end, low + batch)
            count = high - low
            first_names = rng.choices(firsts, first_weights, k=count)
            last_names = rng.choices(lasts, last_weights, k=count)
            for i, first, last in zip(
                range(low, high), first_names, last_names, strict=True
            ):
                local = f"{first}.{last}.{i:x}"
                domain = _DOMAINS[i % 3]
                created = _created(i, total)
                status = status_of(i)
                activated = (
                    created + timedelta(days=2)
                    if status != "pending_activation"
                    else None
                )
                closed = created + timedelta(days=30) if status == "closed" else None
                public_id = _public_id(rng)
                if emails is not None:
                    emails.append((public_id, f"{local}@{domain}"))
                yield (
                    i,
                    public_id,
                    partner_id,
                    first,
                    last,
                    f"{local}@{domain}",
                    f"{local.lower()}@{domain}",
                    "",
                    f"+1{rng.choice(_AREAS)}{rng.randrange(200, 1000)}"
                    f"{rng.randrange(10000):04d}",
                    rng.choice(_ZONES),
                    f"{prefix}-{rng.randrange(10**8):08d}",
                    status,
                    created,
                    closed or activated or created,
                    activated,
                    closed,
                )


def _line(rng, taken: set):
    """A new (number, dnis, type, country code, area code), unique in `taken`."""
    while True:
        roll = rng.random()
        if roll < 0.70:
            area = rng.choice(_AREAS)
            national = f"{area}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"
            line = (f"+1{national}", national, "local", "1", area)
        elif roll < 0.80:
            area = rng.choice(_TOLLFREE)
            national = f"{area}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"
            line = (f"+1{national}", national, "tollfree", "1", area)
        else:
            code, area, width = rng.choice(
                (("44", "20", 8), ("61", "2", 8), ("49", "30", 8))
            )
            national = f"{area}{rng.randrange(2 * 10 ** (width - 1), 10**width)}"
            line = (f"+{code}{national}", f"{code}{national}", "intl_local", code, area)
        if line[0] not in taken:
            taken.add(line[0])
            return line


def numbers(
    layout: Layout,
    partner_ids: dict[str, int],
    history: list,
    dialled: list | None = None,
    seed=SEED,
):
    """Number rows; the owners they had go into `history` (number id, subscriber
    id, assigned at, released at) as they are made, and each row's (DNIS,
    number) into `dialled`, when given.

    Of each partner's pool, 70 % is available, 20 % assigned to one of its open
    accounts, 4 % aging (half of it finished), 3 % held (half lapsed), 3 % retired.
    """
    rng = random.Random(f"numbers-{seed}-{layout.size}")
    taken: set[str] = set()
    total = layout.total
    for partner_id, start, end in layout.spans(partner_ids):
        for i in range(start, end):
            number, dnis, kind, country, area = _line(rng, taken)
            if dialled is not None:
                dialled.append((dnis, number))
            created = _created(i, total)
            owner = rng.randrange(start, end)
            while status_of(owner) == "closed":
                owner = rng.randrange(start, end)
            roll = rng.random()
            subscriber = held = aging = previous = None
            if roll < 0.70:
                status = "available"
            elif roll < 0.90:
                status, subscriber = "assigned", owner
                history.append((i, owner, created, None))
            elif roll < 0.94:
                status, previous = "aging", owner
                aging = EPOCH + timedelta(days=rng.choice((-30, 3650)))
                history.append((i, owner, created, created + timedelta(days=10)))
            elif roll < 0.97:
                status, subscriber = "held", owner
                held = EPOCH + timedelta(minutes=rng.choice((-30, 10**7)))
            else:
                status = "retired"
            yield (
                i,
                partner_id,
                number,
                dnis,
                kind,
                country,
                area,
                status,
                subscriber,
                held,
                aging,
                previous,
                created,
                created,
            )


def features(layout: Layout, feature_ids: list[int], seed=SEED):
    """Enabled features: most accounts have one to three."""
    rng = random.Random(f"features-{seed}-{layout.size}")
    total = layout.total
    for subscriber in range(1, total + 1):
        if rng.random() < 0.6:
            for feature in rng.sample(feature_ids, rng.randint(1, 3)):
                yield (subscriber, feature, "added", _created(subscriber, total))


def audit_events(
    layout: Layout,
    partner_ids: dict[str, int],
    emails: list,
    dialled: list,
    seed=SEED,
):
    """The partners' audit trails: as many events as subscribers, oldest first,
    with the actions' mix of `AUDIT_ACTIONS` (their ids are the database's, after
    those of the events of making the partners). `emails` holds each
    subscriber's (Subscriber ID, email) and `dialled` each number's (DNIS,
    number), by row id (index 0 unused): an event names its target as the
    product does, a subscriber by its Subscriber ID, a number by its DNIS."""
    rng = random.Random(f"audit-{seed}-{layout.size}")
    actions = [entry[0] for entry in AUDIT_ACTIONS]
    weights = [entry[1] for entry in AUDIT_ACTIONS]
    kinds = {entry[0]: entry[2:] for entry in AUDIT_ACTIONS}
    total = layout.total
    changes = {
        "phonenumber": '{"status": "assigned"}',
        "subscriber": '{"status": "active"}',
        "": None,
    }
    batch = 50_000
    for slug, (partner_id, start, end) in zip(
        (MAIN, *OTHERS), layout.spans(partner_ids), strict=True
    ):
        staff = [f"csr{n:02d}@{slug}.example.com" for n in range(AUDIT_STAFF)]
        staff += [f"csr@{slug}.example.com", f"admin@{slug}.example.com"]
        for low in range(start, end, batch):
            high = min(end, low + batch)
            picked = rng.choices(actions, weights, k=high - low)
            for i, action in zip(range(low, high), picked, strict=True):
                target, door = kinds[action]
                owner = rng.randrange(start, i + 1)
                if door == "portal":
                    actor = ("subscriber", emails[owner][1], "", "portal")
                elif door == "api":
                    actor = ("api_key", "api-key:crm (k3yPr3f1x)", "csr", "api")
                else:
                    actor = ("staff", rng.choice(staff), "csr", "web")
                if target == "subscriber":
                    target_id, label = emails[owner]
                elif target == "phonenumber":
                    target_id, label = dialled[rng.randrange(start, end)]
                else:
                    target_id = label = ""
                yield (
                    partner_id,
                    _created(i, total),
                    *actor,
                    action,
                    "success",
                    target,
                    target_id,
                    label,
                    changes[target],
                )
