from csrtool.commands import DomainCommand
from csrtool.errors import NotFound
from csrtool.features import services
from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.models import Plan
from csrtool.subscribers.services import get_subscriber


class Command(DomainCommand):
    help = (
        "CX Builder features: list the catalog or a subscriber's features, enable "
        "or disable features, apply a plan."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser(
            "list", help="The catalog, or one subscriber's features and their source."
        )
        listing.add_argument("subscriber", nargs="?", metavar="SUBSCRIBER_ID")
        for name, verb in (("enable", "Enable"), ("disable", "Disable")):
            sub = actions.add_parser(name, help=f"{verb} features of a subscriber.")
            sub.add_argument("subscriber", metavar="SUBSCRIBER_ID")
            sub.add_argument("features", nargs="+", metavar="FEATURE_KEY")
            sub.add_argument(
                "--with-dependencies" if name == "enable" else "--with-dependents",
                dest="follow",
                action="store_true",
                help="Also enable what the features need."
                if name == "enable"
                else "Also disable what depends on the features.",
            )
            sub.add_argument("--reason", default="")
        plan = actions.add_parser(
            "apply-plan", help="Give a subscriber exactly the features of a plan."
        )
        plan.add_argument("subscriber", metavar="SUBSCRIBER_ID")
        plan.add_argument(
            "plan", metavar="PLAN", help="Plan name or ID; 'none' leaves the plan."
        )
        plan.add_argument("--reason", default="")
        for sub in actions.choices.values():
            super().add_arguments(sub)

    def handle_domain(self, *args, **options):
        actor = self.actor(options)
        action = options["action"]
        if action == "list":
            if options["subscriber"]:
                return self.show(actor, options["subscriber"], options)
            return self.catalog(actor, options)
        if action == "apply-plan":
            change = services.apply_plan(
                actor=actor,
                public_id=options["subscriber"],
                plan_id=self.plan_id(actor, options["subscriber"], options["plan"]),
                reason=options["reason"],
            )
        else:
            keys = options["features"]
            change = services.change_features(
                actor=actor,
                public_id=options["subscriber"],
                enable=keys if action == "enable" else (),
                disable=keys if action == "disable" else (),
                enable_dependencies=options["follow"] and action == "enable",
                disable_dependents=options["follow"] and action == "disable",
                reason=options["reason"],
            )
        self.emit(
            options,
            {
                "subscriber_id": change.subscriber.public_id,
                "before": change.before,
                "after": change.after,
                "enabled": sorted(change.added),
                "disabled": sorted(change.removed),
            },
            f"{change.subscriber.public_id}: {change.summary(load_catalog())}",
        )

    def plan_id(self, actor, public_id, value):
        if value.strip().lower() == "none":
            return None
        subscriber = get_subscriber(actor=actor, public_id=public_id)
        plans = Plan.objects.for_partner(subscriber.partner)
        plan = plans.filter(name=value.strip()).first()
        if plan is None and value.strip().isdigit():
            plan = plans.filter(pk=int(value)).first()
        if plan is None:
            raise NotFound(f"No plan is named {value!r}.")
        return plan.pk

    def catalog(self, actor, options):
        actor.require("features.view")
        catalog = load_catalog()
        grantable = (
            grantable_keys(actor.partner) if actor.partner else set(catalog.features)
        )
        rows = [
            {
                "key": f.key,
                "name": f.name,
                "description": f.description,
                "dependencies": sorted(catalog.requires[f.key]),
                "active": f.is_active,
                "grantable": f.key in grantable and f.is_active,
            }
            for f in catalog.ordered(catalog.features)
        ]
        text = "\n".join(
            f"{r['key']:<20} {r['name']}"
            + (f"  (needs {', '.join(r['dependencies'])})" if r["dependencies"] else "")
            + ("" if r["grantable"] else "  [not grantable]")
            for r in rows
        )
        self.emit(options, rows, text)

    def show(self, actor, public_id, options):
        actor.require("features.view")
        subscriber = get_subscriber(actor=actor, public_id=public_id)
        state = feature_state(subscriber)
        catalog = load_catalog()
        rows = [
            {"key": f.key, "name": f.name, "source": state.sources[f.key]}
            for f in catalog.ordered(state.sources)
        ]
        lines = [f"{subscriber.public_id}  plan: {state.plan_name or '(none)'}"]
        lines += [
            f"  {r['key']:<20} {r['name']} ({r['source']})"
            for r in rows
            if r["source"] != "removed"
        ] or ["  (no features)"]
        removed = [r["key"] for r in rows if r["source"] == "removed"]
        if removed:
            lines.append(f"  removed from the plan: {', '.join(removed)}")
        self.emit(
            options,
            {
                "subscriber_id": subscriber.public_id,
                "plan": state.plan_name,
                "features": sorted(state.enabled),
                "sources": state.sources,
            },
            "\n".join(lines),
        )
