from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from csrtool import timezones
from csrtool.api.services import keys_made_by, switch_off_staff
from csrtool.console import apply_errors
from csrtool.errors import DomainError, NotFound
from csrtool.hosts import serves_partner
from csrtool.partners import (
    logos,
    second_factor,
    second_factor_views,
    services,
    sign_in,
    single_sign_on,
    sso_views,
)
from csrtool.partners.access import staff_required
from csrtool.partners.forms import (
    PartnerForm,
    PartnerSettingsForm,
    StaffEditForm,
    StaffForm,
    StaffLoginForm,
)
from csrtool.partners.models import BrandImage, BrandImageKind, Partner, User


class LoginView(auth_views.LoginView):
    form_class = StaffLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Email first: with no password typed, an address a partner's provider
        # covers goes there. A typed password is checked as ever (the form
        # refuses it for staff of a partner that switched passwords off), so
        # the answer never depends on whose the address is.
        if not request.POST.get("password"):
            sso = single_sign_on.for_email(request.POST.get("username", ""))
            if sso is not None:
                return sso_views.begin(request, sso, next_url=self.get_success_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if second_factor.required(user) or second_factor.enrolled(user):
            return second_factor_views.begin(
                self.request, user, next_url=self.get_success_url()
            )
        return super().form_valid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(e.code == "paused" for e in form.errors.as_data().get("__all__", [])):
            response.status_code = 429
        return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "registration/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        from csrtool.audit.services import record
        from csrtool.partners.access import staff_actor

        response = super().form_valid(form)
        actor = staff_actor(
            self.user,
            source_ip=self.request.META.get("REMOTE_ADDR"),
            request_id=getattr(self.request, "request_id", ""),
        )
        record(actor=actor, action="staff.password_set", target=self.user)
        messages.success(self.request, "Your password is set. Sign in with it.")
        return response


def _zones():
    return {"zone_choices": timezones.zone_choices(timezone.now())}


@staff_required("partners.manage")
def partner_list(request):
    partners = Partner.objects.order_by("name")
    return render(request, "partners/partner_list.html", {"partners": partners})


@staff_required("partners.manage")
def partner_add(request):
    if request.method == "POST":
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                partner = services.create_partner(
                    actor=request.actor, **form.cleaned_data
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, f"Partner {partner.name} created.")
                return redirect("partner-detail", slug=partner.slug)
    else:
        form = PartnerForm(initial={"time_zone": "America/New_York"})
    return render(request, "partners/partner_form.html", {"form": form, **_zones()})


@staff_required("partners.manage")
def partner_detail(request, slug):
    try:
        partner = services.get_partner(actor=request.actor, slug=slug)
    except NotFound:
        raise Http404 from None
    staff = User.objects.for_partner(partner).order_by("email_canonical")
    return render(
        request,
        "partners/partner_detail.html",
        {
            "partner": partner,
            "staff": staff,
            "subscriber_count": partner.subscribers.count(),
        },
    )


def _settings_view(request, partner, *, image_errors=None):
    if request.method == "POST" and image_errors is None:
        form = PartnerSettingsForm(request.POST, operator=request.actor.is_operator)
        if form.is_valid():
            changes = dict(form.cleaned_data)
            # A form without the choice (a script's) leaves it as it is.
            if not changes.get("default_language"):
                changes.pop("default_language", None)
            policy = changes.pop("second_factor_required_for") or None
            if policy and policy != partner.second_factor_required_for:
                if second_factor_views.needs_step_up(request):
                    return second_factor_views.step_up_redirect(
                        request, back=request.path
                    )
                changes["second_factor_required_for"] = policy
            try:
                services.update_partner(
                    actor=request.actor, slug=partner.slug, **changes
                )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, "Settings saved.")
                return redirect(request.path)
    else:
        form = PartnerSettingsForm(
            initial={
                field: getattr(partner, field) for field in services.PARTNER_SETTINGS
            },
            operator=request.actor.is_operator,
        )
    return render(
        request,
        "partners/partner_settings.html",
        {
            "form": form,
            "partner": partner,
            "brand_images": _brand_images(partner, image_errors or {}),
            **_zones(),
        },
    )


def _brand_images(partner, errors: dict) -> list[dict]:
    return [
        {
            "kind": kind,
            "label": label,
            "rules": logos.RULES[kind],
            "image": getattr(partner, kind),
            "errors": errors.get(kind, []),
        }
        for kind, label in BrandImageKind.choices
    ]


@staff_required("partner.settings")
def partner_settings(request):
    if request.actor.is_operator:
        return redirect("partner-list")
    return _settings_view(request, request.actor.partner)


@staff_required("partners.manage")
def partner_edit(request, slug):
    try:
        partner = services.get_partner(actor=request.actor, slug=slug)
    except NotFound:
        raise Http404 from None
    return _settings_view(request, partner)


def _settings_page(request, partner):
    if request.actor.is_operator:
        return redirect("partner-edit", slug=partner.slug)
    return redirect("partner-settings")


def _image_partner(request, slug, kind) -> Partner:
    """The partner whose image the page changes; another partner's, or a kind of
    image that does not exist, is an unknown page."""
    try:
        logos.rules_of(kind)
        return services.get_partner(actor=request.actor, slug=slug)
    except DomainError:
        raise Http404 from None


@require_POST
@staff_required("partner.settings")
def brand_image_upload(request, slug, kind):
    """Upload a logo or favicon from the settings page (its own form, as a file)."""
    upload = request.FILES.get("file")
    partner = _image_partner(request, slug, kind)
    try:
        if upload is None:
            raise DomainError("Choose a file to upload.")
        logos.set_brand_image(
            actor=request.actor, slug=slug, kind=kind, data=upload.read()
        )
    except DomainError as e:
        return _settings_view(request, partner, image_errors={kind: [e.message]})
    label = logos.RULES[kind].label
    messages.success(request, f"The new {label} is saved.")
    return _settings_page(request, partner)


@require_POST
@staff_required("partner.settings")
def brand_image_remove(request, slug, kind):
    partner = _image_partner(request, slug, kind)
    try:
        logos.clear_brand_image(actor=request.actor, slug=slug, kind=kind)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"The {logos.RULES[kind].label} is removed.")
    return _settings_page(request, partner)


# An image's answer runs nothing and fetches nothing, even opened on its own.
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def brand_image(request, slug, kind, digest, extension):
    """A partner's logo or favicon. Its address names its content, so it is cached
    for good; an older address (in an email sent before a change) leads to the
    current one. On a partner's portal host only that partner's images exist."""
    partner = Partner.objects.filter(slug=slug, is_active=True).first()
    if partner is None or not serves_partner(request, partner):
        raise Http404
    image = BrandImage.objects.filter(partner=partner, kind=kind).first()
    if image is None:
        raise Http404
    image.partner = partner
    if not image.sha256.startswith(digest) or extension != image.extension:
        return redirect(image.path)
    response = HttpResponse(bytes(image.content), content_type=image.content_type)
    response["Content-Security-Policy"] = IMAGE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def brand_css(request, slug):
    """A partner's brand colours for its customers' pages: custom properties over
    the product's stylesheet. The values were checked (#rrggbb) when saved."""
    partner = Partner.objects.filter(slug=slug, is_active=True).first()
    if partner is None:
        raise Http404
    properties = []
    if partner.brand_primary:
        properties.append(f"--brand: {partner.brand_primary};")
    if partner.brand_accent:
        properties.append(f"--brand-dark: {partner.brand_accent};")
    return HttpResponse(
        ":root { " + " ".join(properties) + " }\n",
        content_type="text/css; charset=utf-8",
    )


@staff_required("staff.view")
def staff_list(request):
    staff = User.objects.for_actor(request.actor).select_related("partner")
    return render(request, "partners/staff_list.html", {"staff": staff})


@staff_required("staff.manage")
def staff_add(request):
    actor = request.actor
    partner_choices = None
    if actor.is_operator:
        partner_choices = [("", "No partner (operators only)")] + [
            (p.slug, p.name) for p in Partner.objects.all()
        ]
    if request.method == "POST":
        form = StaffForm(request.POST, actor=actor, partner_choices=partner_choices)
        if form.is_valid():
            data = dict(form.cleaned_data)
            partner = None
            if actor.is_operator:
                partner = Partner.objects.filter(slug=data.pop("partner", "")).first()
            try:
                user = services.create_staff(actor=actor, partner=partner, **data)
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(
                    request,
                    f"{user.email} added as {user.get_role_display()}. An invitation "
                    "to set a password is on its way to them by email.",
                )
                return redirect("staff-list")
    else:
        initial = {"role": "csr"}
        if actor.is_operator and request.GET.get("partner"):
            initial["partner"] = request.GET["partner"]
        form = StaffForm(initial=initial, actor=actor, partner_choices=partner_choices)
    return render(request, "partners/staff_form.html", {"form": form})


@staff_required("staff.manage")
def staff_edit(request, staff_id):
    try:
        member = services.get_staff(actor=request.actor, staff_id=staff_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        form = StaffEditForm(request.POST, actor=request.actor)
        if form.is_valid():
            try:
                if member.is_active and not form.cleaned_data["is_active"]:
                    switch_off_staff(
                        actor=request.actor,
                        staff_id=member.pk,
                        revoke=request.POST.getlist("revoke"),
                        **form.cleaned_data,
                    )
                else:
                    services.update_staff(
                        actor=request.actor, staff_id=member.pk, **form.cleaned_data
                    )
            except DomainError as e:
                apply_errors(form, e)
            else:
                messages.success(request, f"{member.email} saved.")
                return redirect("staff-list")
    else:
        form = StaffEditForm(
            actor=request.actor,
            initial={
                "full_name": member.full_name,
                "role": member.role,
                "time_zone": member.time_zone,
                "is_active": member.is_active,
            },
        )
    return render(
        request,
        "partners/staff_edit.html",
        {
            "form": form,
            "member": member,
            "invite_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            "sign_in_held_until": sign_in.held_until(member),
            "sign_in_failures": sign_in.has_failures(member),
            "member_second_factor": second_factor.methods(member),
            "member_second_factor_required": second_factor.required(member),
            "reset_form": second_factor_views.ResetForm(),
            "member_keys": keys_made_by(actor=request.actor, user=member)
            if member.is_active and request.actor.can("keys.manage")
            else [],
            **_zones(),
        },
    )


@require_POST
@staff_required("staff.manage")
def staff_clear_sign_in(request, staff_id):
    try:
        member = sign_in.clear_sign_in(actor=request.actor, staff_id=staff_id)
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"{member.email} can sign in again now.")
    return redirect("staff-edit", staff_id=staff_id)


@require_POST
@staff_required("staff.manage")
def staff_invite(request, staff_id):
    try:
        member = services.invite_staff(actor=request.actor, staff_id=staff_id)
    except NotFound:
        raise Http404 from None
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request, f"A new invitation is on its way to {member.email} by email."
        )
    return redirect("staff-edit", staff_id=staff_id)
