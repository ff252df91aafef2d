"""Staff are invited by email: the set-password link goes to the new member only,
never to the admin who adds them."""

import pytest
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.partners.models import User
from csrtool.partners.tests.invitations import invitation_path

NEW = {"email": "dee@acme.example", "full_name": "Dee Newcomer", "role": "csr"}


def sets_a_password(path: str, password="a long enough passphrase") -> bool:
    client = Client()
    response = client.get(path, follow=True)
    if "no longer valid" in response.content.decode():
        return False
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": password, "new_password2": password}
    )
    return response.status_code == 302


def test_adding_staff_on_the_page_emails_them_an_invitation(cast, client_for, smtpd):
    response = client_for(cast.alice).post("/staff/new/", NEW, follow=True)
    page = response.content.decode()
    assert "An invitation to set a password is on its way" in page
    assert "/staff/set-password/" not in page
    run_jobs()
    [invitation] = smtpd.to("dee@acme.example")
    assert invitation["Subject"] == "Set your password for the Acme Telecom CSR console"
    text = invitation.get_body(("plain",)).get_content()
    assert "Alice Admin has given you access" in text and "as CSR" in text
    assert sets_a_password(invitation_path(invitation))
    assert User.objects.get(email="dee@acme.example").has_usable_password()
    assert AuditEvent.objects.filter(
        action="staff.invited",
        target_id=str(User.objects.get(email="dee@acme.example").pk),
    ).exists()


def test_a_new_invitation_replaces_a_lost_one_and_each_link_works_once(
    cast, client_for, smtpd
):
    client = client_for(cast.alice)
    client.post("/staff/new/", NEW)
    dee = User.objects.get(email="dee@acme.example")
    response = client.post(f"/staff/{dee.pk}/invite/", follow=True)
    assert "A new invitation is on its way to dee@acme.example" in (
        response.content.decode()
    )
    run_jobs()
    first, second = smtpd.to("dee@acme.example")
    assert sets_a_password(invitation_path(second))
    # Once a password is set, every earlier link stops working.
    assert not sets_a_password(invitation_path(first), "another long passphrase")
    assert not sets_a_password(invitation_path(second), "another long passphrase")


def test_a_member_switched_off_is_not_invited(cast, client_for, actor_of, smtpd):
    from csrtool.partners.services import update_staff

    client = client_for(cast.alice)
    client.post("/staff/new/", NEW)
    dee = User.objects.get(email="dee@acme.example")
    # Switched off before the worker ran: the queued invitation is not sent.
    update_staff(actor=actor_of(cast.alice), staff_id=dee.pk, is_active=False)
    run_jobs()
    assert smtpd.to("dee@acme.example") == []
    response = client.post(f"/staff/{dee.pk}/invite/", follow=True)
    assert "is switched off" in response.content.decode()
    assert AuditEvent.objects.filter(action="staff.invited").count() == 1


@pytest.mark.parametrize("who", ["bob", "avery"])
def test_only_admins_invite(cast, client_for, who):
    response = client_for(getattr(cast, who)).post(f"/staff/{cast.bob.pk}/invite/")
    # As every staff page a role may not use: as if it did not exist.
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="staff.invited").exists()
