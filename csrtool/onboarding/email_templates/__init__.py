"""A partner's own wording of the emails its subscribers receive.

Each kind of subscriber email (welcome, password reset, …) has a built-in
template in `defaults/<language>/`; a partner admin may replace its subject,
plain text and HTML with its own (`EmailTemplate`, one per partner, kind and
language), written in the placeholder language of `language.py`. The product's
frame (the sender line, support contact, footer links: `onboarding/emails/
frame.*`) surrounds either one, so both go out through the same path.
"""
