"""The customer pages' forms, and the words of the domain as customers read them, translated."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.api import ApplicationError
from recalls.models import ProductModel
from recalls.selectors import recall_list_active

from .uploads import MAX_UPLOAD_BYTES

# --- Words customers read ---------------------------------------------------------------------------

REMEDY_LABELS = {
    "replacement": _("Replacement unit"),
    "gift_card": _("Gift card"),
    "refund": _("Refund"),
}
STATUS_LABELS = {
    "needs_review": _("Being checked by our support team"),
    "approved": pgettext_lazy("claim status", "Approved"),
    "rejected": pgettext_lazy("claim status", "Not accepted"),
    "awaiting_disposal": _("Waiting for the unit to be handed in for recycling"),
    "fulfilling": _("Remedy being issued"),
    "fulfilled": _("Remedy issued"),
    "cancelled": pgettext_lazy("claim status", "Cancelled"),
}
EVENT_LABELS = {
    "submitted": _("Claim received"),
    "status_changed": _("Status changed"),
    "flagged": _("Held for a check"),
    "remedy_issued": _("Remedy issued"),
    "disposal_confirmed": _("Disposal confirmed by a recycling centre"),
    "note": _("Note"),
}
COUNTRY_NAMES = {
    "AT": _("Austria"),
    "AU": _("Australia"),
    "BE": _("Belgium"),
    "CA": _("Canada"),
    "CH": _("Switzerland"),
    "DE": _("Germany"),
    "ES": _("Spain"),
    "FR": _("France"),
    "GB": _("United Kingdom"),
    "IT": _("Italy"),
    "JP": _("Japan"),
    "NL": _("Netherlands"),
    "US": _("United States"),
}


def country_label(code: str) -> str:
    name = COUNTRY_NAMES.get(code)
    return f"{name} ({code})" if name else code


# Messages the services raise or write on a claim's timeline, in English. Listed here so that they are
# in the catalogues and reach customers in their language; anything else is shown as the service wrote it.
_SERVICE_MESSAGES = (
    gettext_noop("Give the unit's serial number or attach a proof of purchase."),
    gettext_noop("Check the serial number on the unit's label."),
    gettext_noop("This unit has already been claimed."),
    gettext_noop("A claim for this serial number is already open."),
    gettext_noop(
        "This serial number is not in a recalled batch for your country. "
        "If you believe your unit is affected, send a proof of purchase with your claim."
    ),
    gettext_noop("Not in a recalled batch for this country."),
    gettext_noop("An uploaded file was refused."),
    gettext_noop("The file is empty."),
    gettext_noop("Send a JPEG, PNG or WebP image, or a PDF."),
    gettext_noop("The file is not a readable JPEG, PNG or WebP image, or PDF."),
    gettext_noop("The PDF is password-protected."),
    gettext_noop("The file is not a readable PDF."),
    gettext_noop("The serial is in a recalled batch."),
    gettext_noop("The remedy is issued once a certified recycling centre confirms the unit's disposal."),
    gettext_noop("Held for a check by our support team."),
)
_SERVICE_PATTERNS = (
    (re.compile(r"This cannot be a serial number of model (?P<model>\S+)\."),
     _("This cannot be a serial number of model %(model)s.")),
    (re.compile(r"No active recall covers model (?P<model>\S+) in (?P<country>[A-Z]{2})\."),
     _("No active recall covers model %(model)s in %(country)s.")),
    (re.compile(r"In (?P<country>[A-Z]{2}) this recall offers: (?P<remedies>.*)\."),
     _("In %(country)s this recall offers: %(remedies)s.")),
    (re.compile(r"The file is larger than (?P<size>\d+) MB\."),
     _("The file is larger than %(size)s MB.")),
    (re.compile(r"The image is larger than (?P<size>\d+) megapixels\."),
     _("The image is larger than %(size)s megapixels.")),
    (re.compile(r"The PDF must have between 1 and (?P<pages>\d+) pages\."),
     _("The PDF must have between 1 and %(pages)s pages.")),
    (re.compile(r"Gift card of (?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3}) issued\."),
     _("Gift card of %(amount)s %(currency)s issued.")),
    (re.compile(r"Replacement (?P<model>\S+) ordered from the warehouse\."),
     _("Replacement %(model)s ordered from the warehouse.")),
    (re.compile(r"Replacement shipped, tracking number (?P<tracking>.+)\."),
     _("Replacement shipped, tracking number %(tracking)s.")),
    (re.compile(r"Refund of (?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3}) sent to finance for payout\."),
     _("Refund of %(amount)s %(currency)s sent to finance for payout.")),
    (re.compile(r"Refund of (?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3}) paid\."),
     _("Refund of %(amount)s %(currency)s paid.")),
    (re.compile(r"Handed in at (?P<facility>.+) \((?P<condition>intact|damaged|swollen)\)\."),
     _("Handed in at %(facility)s (%(condition)s).")),
)  # fmt: skip
CONDITION_LABELS = {
    "intact": pgettext_lazy("unit condition", "intact"),
    "damaged": pgettext_lazy("unit condition", "damaged"),
    "swollen": pgettext_lazy("unit condition", "swollen"),
}


def _localise_values(values: dict[str, str]) -> dict[str, str]:
    if "country" in values:
        values["country"] = country_label(values["country"])
    if "remedies" in values:
        codes = [code.strip() for code in values["remedies"].split(",")]
        values["remedies"] = ", ".join(str(REMEDY_LABELS.get(code, code)) for code in codes)
    if "amount" in values:
        values["amount"] = formats.number_format(Decimal(values["amount"]), 2, use_l10n=True)
    if "condition" in values:
        values["condition"] = str(CONDITION_LABELS[values["condition"]])
    return values


def localise_message(message: str) -> str:
    """A service's English message in the active language, where the catalogue knows it."""
    if not message:
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, template in _SERVICE_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return template % _localise_values(match.groupdict())
    return message


def show_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a domain error on the form: on the fields it names, and its summary on top."""
    named = {name: messages for name, messages in (error.fields or {}).items() if name in form.fields}
    for name, messages in named.items():
        for message in messages:
            form.add_error(name, localise_message(message))
    others = [
        message
        for name, messages in (error.fields or {}).items()
        if name not in named
        for message in messages
    ]
    if error.code != "validation_error" or not named:
        form.add_error(None, localise_message(error.detail))
    for message in others:
        form.add_error(None, localise_message(message))


# --- Choices from the active recalls -------------------------------------------------------------


def _model_choices() -> list[tuple[str, str]]:
    models: dict[str, ProductModel] = {}
    for recall in recall_list_active():
        for model in recall.models.all():
            models[model.model_number] = model
    return [("", _("Choose your model"))] + [
        (number, f"{number} – {model.name}") for number, model in sorted(models.items())
    ]


def _country_choices() -> list[tuple[str, str]]:
    codes = {rule.country for recall in recall_list_active() for rule in recall.market_rules.all()}
    return [("", _("Choose your country"))] + sorted(
        ((code, country_label(code)) for code in codes), key=lambda choice: str(choice[1])
    )


class _PageForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _RecallChoicesForm(_PageForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_number"].choices = _model_choices()
        self.fields["country"].choices = _country_choices()


_SERIAL_ATTRS = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


class SerialCheckForm(_RecallChoicesForm):
    model_number = forms.ChoiceField(
        label=_("Model number"), help_text=_("Printed on the unit's label, e.g. A1263.")
    )
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=64,
        help_text=_("As printed on the label; spaces and dashes do not matter."),
        widget=forms.TextInput(attrs=_SERIAL_ATTRS),
    )
    country = forms.ChoiceField(label=_("Country where you live"))


_UPLOAD_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"
_UPLOAD_HELP = lazy(
    lambda: (
        gettext("A JPEG, PNG or WebP image, or a PDF, up to %(size)d MB.")
        % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    ),
    str,
)()


class ClaimForm(_RecallChoicesForm):
    model_number = forms.ChoiceField(
        label=_("Model number"), help_text=_("Printed on the unit's label, e.g. A1263.")
    )
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=64,
        required=False,
        help_text=_(
            "As printed on the label. If you cannot read it, leave it empty and attach a proof of purchase."
        ),
        widget=forms.TextInput(attrs=_SERIAL_ATTRS),
    )
    country = forms.ChoiceField(label=_("Country where you live"))
    remedy = forms.ChoiceField(
        label=_("Remedy you choose"),
        choices=list(REMEDY_LABELS.items()),
        widget=forms.RadioSelect,
        help_text=_("The table above shows what is offered in your country."),
    )
    name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("We write to you about your claim."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    address_line1 = forms.CharField(
        label=_("Address"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_line2 = forms.CharField(
        label=_("Address, second line (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    proof_of_purchase = forms.FileField(
        label=_("Proof of purchase (receipt or invoice)"),
        required=False,
        help_text=_UPLOAD_HELP,
        widget=forms.FileInput(attrs={"accept": _UPLOAD_ACCEPT}),
    )
    product_photo = forms.FileField(
        label=_("Photo of the unit's label"),
        required=False,
        help_text=_UPLOAD_HELP,
        widget=forms.FileInput(attrs={"accept": _UPLOAD_ACCEPT}),
    )


class StatusForm(_PageForm):
    reference = forms.CharField(
        label=_("Claim reference"),
        max_length=32,
        help_text=_("For example RC-7K3F9QX2."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    token = forms.CharField(
        label=_("Access token"),
        max_length=200,
        help_text=_("Shown once when you submitted your claim."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
