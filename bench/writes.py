"""The write paths: assign and unassign a number (the service against the bare
conditional UPDATE, and against the whole transaction written by hand), and
create_subscriber (the service against the ORM writing the same rows without
any checks)."""

import itertools
import json
import secrets
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from bench.scene import Path, Scene

ASSIGN = (
    "UPDATE numberpool_phonenumber SET status = 'assigned', subscriber_id = %s, "
    "updated_at = %s WHERE id = %s AND status = 'available'"
)
UNASSIGN = (
    "UPDATE numberpool_phonenumber SET status = 'available', subscriber_id = NULL, "
    "updated_at = %s WHERE id = %s AND status = 'assigned' AND subscriber_id = %s"
)


def _assignment_inputs(scene: Scene, count: int) -> list:
    """Each input: a number for the service, another for the ceiling, and the
    subscriber both go to."""
    lines = scene.numbers(2 * count, status="available")
    people = scene.subscribers(count, status="active")
    return list(zip(lines[::2], lines[1::2], people, strict=False))


def _services(scene: Scene):
    """The service's assign and unassign of an input's first number."""
    from csrtool.numberpool.services import assign_number, unassign_number

    def assign(arg):
        assign_number(
            actor=scene.csr, number=arg[0].dnis, subscriber_id=arg[2].public_id
        )

    def unassign(arg):
        unassign_number(actor=scene.csr, number=arg[0].dnis)

    return assign, unassign


def _claim(scene: Scene, statement: str, params) -> None:
    if scene.execute(statement, params) != 1:
        raise AssertionError("the conditional UPDATE did not claim its row")


def assignment_path(scene: Scene, count: int = 400) -> Path:
    """Assign then unassign, against the conditional UPDATE alone. An
    unassigned number ages for its last owner, who may take it back, so inputs
    can come round again."""
    inputs = _assignment_inputs(scene, count)
    assign, unassign = _services(scene)

    def raw_assign(arg):
        _claim(scene, ASSIGN, (arg[2].pk, scene.stamp(timezone.now()), arg[1].pk))

    def raw_unassign(arg):
        _claim(scene, UNASSIGN, (scene.stamp(timezone.now()), arg[1].pk, arg[2].pk))

    return Path(
        key="numbers.assign",
        label="Assign a number",
        group="writes",
        product=assign,
        ceiling=raw_assign,
        ceiling_label="conditional UPDATE, own transaction",
        inputs=inputs,
        steps=[
            (
                "numbers.unassign",
                "Unassign a number",
                unassign,
                raw_unassign,
                "conditional UPDATE, own transaction",
            )
        ],
    )


def _insert(table: str, columns: str) -> str:
    names = columns.split()
    return "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        table, ", ".join(names), ", ".join(["%s"] * len(names))
    )


FIND_NUMBER = "SELECT * FROM numberpool_phonenumber WHERE partner_id = %s AND dnis = %s"
FIND_SUBSCRIBER = (
    "SELECT * FROM subscribers_subscriber WHERE partner_id = %s AND public_id = %s"
)
OPEN_OWNER = _insert(
    "numberpool_numberassignment",
    "number_id subscriber_id assigned_at assigned_by_id assigned_by_label "
    "released_by_label",
)
CLOSE_OWNER = (
    "UPDATE numberpool_numberassignment SET released_at = %s, released_by_id = %s, "
    "released_by_label = %s WHERE number_id = %s AND released_at IS NULL"
)
AUDIT = _insert(
    "audit_auditevent",
    "created_at partner_id actor_user_id actor_kind actor_label actor_role channel "
    "action outcome target_type target_id target_label before after reason "
    "request_id source_ip",
)
EVENT = _insert("events_event", "public_id partner_id type created_at actor_kind data")
READINESS = (
    "SELECT EXISTS(SELECT 1 FROM numberpool_phonenumber WHERE status = 'assigned' "
    "AND subscriber_id = %s AND id <> %s), EXISTS(SELECT 1 FROM "
    "features_subscriberfeature WHERE source <> 'removed' AND subscriber_id = %s)"
)


def transaction_path(scene: Scene, count: int = 400) -> Path:
    """Assign then unassign, against the rows the service reads and writes,
    each statement written by hand and sent through the driver, in one
    transaction: the number by DNIS and the subscriber by Subscriber ID, the
    conditional UPDATE, the owner entry, the audit row, the event(s) and, on
    an assignment, the readiness check. The floor of what the issue asks of
    these transactions, where the conditional UPDATE alone is the floor of
    the race."""
    inputs = _assignment_inputs(scene, count)
    assign, unassign = _services(scene)
    partner, user = scene.partner.pk, scene.csr.user.pk
    actor = (scene.csr.kind, scene.csr.label, scene.csr.role, scene.csr.channel)
    label = scene.csr.label
    lock = "" if scene.vendor == "sqlite" else " FOR UPDATE"

    @contextmanager
    def transaction():
        scene.execute("BEGIN IMMEDIATE" if scene.vendor == "sqlite" else "BEGIN")
        try:
            yield
        except BaseException:
            scene.execute("ROLLBACK")
            raise
        scene.execute("COMMIT")

    def json_value(value):
        if scene.vendor == "sqlite":
            return json.dumps(value)
        from psycopg.types.json import Jsonb

        return Jsonb(value)

    def number(line, status, owner):
        return {**line.audit_snapshot(), "status": status, "subscriber": owner}

    def write(line, action, event_types, before, after):
        moment = scene.stamp(timezone.now())
        scene.execute(
            AUDIT,
            (
                moment,
                partner,
                user,
                *actor,
                action,
                "success",
                "phonenumber",
                line.dnis,
                line.number,
                json_value(before),
                json_value(after),
                "",
                "",
                None,
            ),
        )
        for event_type in event_types:
            scene.execute(
                EVENT,
                (
                    f"evt_{secrets.token_urlsafe(16)}",
                    partner,
                    event_type,
                    moment,
                    scene.csr.kind,
                    json_value({"object": after}),
                ),
            )

    def raw_assign(arg):
        line, person = arg[1], arg[2]
        with transaction():
            [_] = scene.fetch(FIND_NUMBER, (partner, line.dnis))
            [_] = scene.fetch(FIND_SUBSCRIBER, (partner, person.public_id))
            now = scene.stamp(timezone.now())
            _claim(scene, ASSIGN, (person.pk, now, line.pk))
            scene.execute(OPEN_OWNER, (line.pk, person.pk, now, user, label, ""))
            write(
                line,
                "number.assigned",
                ["number.assigned"],
                number(line, "available", None),
                number(line, "assigned", person.public_id),
            )
            scene.fetch(READINESS, (person.pk, line.pk, person.pk))

    def raw_unassign(arg):
        line, person = arg[1], arg[2]
        with transaction():
            [_] = scene.fetch(FIND_NUMBER + lock, (partner, line.dnis))
            now = scene.stamp(timezone.now())
            _claim(scene, UNASSIGN, (now, line.pk, person.pk))
            scene.execute(CLOSE_OWNER, (now, user, label, line.pk))
            write(
                line,
                "number.unassigned",
                ["number.unassigned", "number.aging"],
                number(line, "assigned", person.public_id),
                number(line, "available", None),
            )

    return Path(
        key="numbers.assign.transaction",
        label="Assign a number (whole transaction)",
        group="writes",
        product=assign,
        ceiling=raw_assign,
        ceiling_label="the same statements by hand, one transaction",
        inputs=inputs,
        steps=[
            (
                "numbers.unassign.transaction",
                "Unassign a number (whole transaction)",
                unassign,
                raw_unassign,
                "the same statements by hand, one transaction",
            )
        ],
    )


class RowReplica:
    """Writes the rows one service call wrote, again, with the ORM alone.

    The rows are caught as the service saves them (post_save) once; each replay
    creates the same models with the same values in one transaction, with fresh
    values where a column must be unique and foreign keys pointing at the rows
    of the same replay.
    """

    def __init__(self, call):
        self.rows = []

        def catch(sender, instance, created, raw=False, **kwargs):
            if created and not raw:
                self.rows.append((sender, self._values(instance)))

        post_save.connect(catch, weak=False)
        try:
            call()
        finally:
            post_save.disconnect(catch)
        self.counter = itertools.count(1)

    @staticmethod
    def _values(instance) -> dict:
        return {
            field.attname: getattr(instance, field.attname)
            for field in instance._meta.concrete_fields
        }

    @staticmethod
    def _unique_fields(model) -> set[str]:
        names = {f.name for f in model._meta.concrete_fields if f.unique}
        for constraint in model._meta.constraints:
            names.update(getattr(constraint, "fields", ()))
        return names

    def replay(self) -> None:
        n = next(self.counter)
        made: dict[tuple, object] = {}
        with transaction.atomic():
            for model, values in self.rows:
                fresh = {}
                unique = self._unique_fields(model)
                for field in model._meta.concrete_fields:
                    value = values[field.attname]
                    target = field.related_model
                    if target is not None and (target, value) in made:
                        value = made[(target, value)]
                    elif field.primary_key or field.name in unique:
                        if field.has_default():
                            value = field.get_default()
                        elif field.primary_key:
                            continue
                        elif isinstance(value, str):
                            value = f"r{n}-{value}"[: field.max_length]
                    fresh[field.attname] = value
                row = model.objects.create(**fresh)
                made[(model, values[model._meta.pk.attname])] = row.pk


def create_path(scene: Scene, count: int = 2000) -> Path:
    """create_subscriber with the input a CSR types, against the ORM writing the
    rows it writes."""
    from csrtool.subscribers.services import create_subscriber

    stamp = scene.rng.randrange(10**6)

    def person(i):
        return {
            "first_name": "Bench",
            "last_name": f"Create{i}",
            "email": f"Bench.Create{i}.{stamp}@Example.com",
            "phone": f"(212) 555-{i % 10000:04d}",
            "billing_id": f"BC-{i:07d}",
        }

    replica = RowReplica(
        lambda: create_subscriber(actor=scene.csr, **person(count + 1))
    )
    return Path(
        key="subscribers.create",
        label="create_subscriber",
        group="writes",
        product=lambda arg: create_subscriber(actor=scene.csr, **arg),
        ceiling=lambda arg: replica.replay(),
        ceiling_label=f"ORM create() of the same {len(replica.rows)} rows, one "
        "transaction",
        inputs=[person(i) for i in range(count)],
        memory_inputs=[person(count + 2 + i) for i in range(5)],
    )
