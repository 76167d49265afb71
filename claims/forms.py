"""The customer pages' forms, and the words customers read for a claim's statuses and events."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from recalls.countries import country_label
from recalls.models import ProductModel, Remedy
from recalls.selectors import recall_list_active

from .addresses import address_format, region_choices
from .serializers import ClaimCreateInputSerializer
from .uploads import MAX_UPLOAD_BYTES

# --- Words customers read ---------------------------------------------------------------------------

# A claim's statuses and events, worded for customers (the models' labels are the agents' words).
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
    # What the note says: ordered, sent to finance, shipped, issued (the status says how far it is).
    "remedy_issued": pgettext_lazy("timeline", "Your remedy"),
    "disposal_confirmed": _("Disposal confirmed by a recycling centre"),
    "note": _("Note"),
}


def show_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a domain error, already in the active language, on the form: on the fields it names, and
    its summary on top."""
    named = {name: messages for name, messages in (error.fields or {}).items() if name in form.fields}
    for name, messages in named.items():
        for message in messages:
            form.add_error(name, message)
    others = [
        message
        for name, messages in (error.fields or {}).items()
        if name not in named
        for message in messages
    ]
    if error.code != "validation_error" or not named:
        form.add_error(None, error.detail)
    for message in others:
        form.add_error(None, message)


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
    city = forms.CharField(
        label=_("Your town or city (optional)"),
        required=False,
        max_length=100,
        help_text=_("To list the recycling centres nearest to you."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )


_UPLOAD_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"
_UPLOAD_HELP = lazy(
    lambda: (
        gettext("A JPEG, PNG or WebP image, or a PDF, up to %(size)d MB.")
        % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    ),
    str,
)()


# The API's serializer is the one definition of a claim's input: its fields, which are required, how long
# each may be. The page's form adds only what a person reads: labels, help and widgets.
_CLAIM_INPUT = ClaimCreateInputSerializer().fields


def _claim_field(name: str, field_class: type[forms.Field] = forms.CharField, **presentation) -> forms.Field:
    spec = _CLAIM_INPUT[name]
    limits: dict = {"required": spec.required}
    if getattr(spec, "max_length", None) and issubclass(field_class, forms.CharField):
        limits["max_length"] = spec.max_length
    return field_class(**limits, **presentation)


class _OfferedRemedyField(forms.ChoiceField):
    """Shows the remedies the chosen market offers; any remedy passes here, so that the service, the
    one place that knows what each market offers, answers one that is not."""

    def valid_value(self, value) -> bool:
        return value in Remedy.values


class ClaimForm(_RecallChoicesForm):
    """``remedies``: what the chosen market offers, each with its words and amount; None until a model
    and a country are chosen."""

    def __init__(
        self,
        *args,
        remedies: list[tuple[str, str]] | None = None,
        country: str = "",
        refund_currency: str = "",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if remedies is not None:
            self.fields["remedy"].choices = remedies
        if refund_currency:
            # A refund is at least the price paid: asked where the market offers one, in its currency.
            self.fields["price_paid"].label = _("Price you paid in %(currency)s (optional)") % {
                "currency": refund_currency
            }
        else:
            del self.fields["price_paid"]
        self.address = address_format(country) if country else None
        if self.address is not None:
            # The market's own address: its order, its word for a postal code, its states or prefectures.
            self.fields["postal_code"].label = self.address.postal_label
            if self.address.region_required:
                self.fields["region"] = forms.ChoiceField(
                    label=self.address.region_label,
                    choices=[("", _("Choose"))] + region_choices(country),
                    widget=forms.Select(attrs={"autocomplete": "address-level1"}),
                )

    def address_fields(self) -> list[forms.BoundField]:
        """The address fields in the market's order."""
        order = (
            self.address.order if self.address else ("address_line1", "address_line2", "postal_code", "city")
        )
        return [self[name] for name in order]

    model_number = _claim_field(
        "model_number",
        forms.ChoiceField,
        label=_("Model number"),
        help_text=_("Printed on the unit's label, e.g. A1263."),
    )
    serial = _claim_field(
        "serial",
        label=_("Serial number"),
        help_text=_(
            "As printed on the label. If you cannot read it, leave it empty and attach a proof of purchase."
        ),
        widget=forms.TextInput(attrs=_SERIAL_ATTRS),
    )
    country = _claim_field("country", forms.ChoiceField, label=_("Country where you live"))
    remedy = _claim_field(
        "remedy",
        _OfferedRemedyField,
        label=_("Remedy you choose"),
        choices=Remedy.choices,
        widget=forms.RadioSelect,
        help_text=_("What your country's programme offers for this model."),
    )
    name = _claim_field("name", label=_("Full name"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = _claim_field(
        "email",
        forms.EmailField,
        label=_("E-mail address"),
        help_text=_("We write to you about your claim."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = _claim_field(
        "phone",
        label=_("Phone number (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    address_line1 = _claim_field(
        "address_line1", label=_("Address"), widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_line2 = _claim_field(
        "address_line2",
        label=_("Address, second line (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = _claim_field(
        "city", label=_("City"), widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    postal_code = _claim_field(
        "postal_code", label=_("Postal code"), widget=forms.TextInput(attrs={"autocomplete": "postal-code"})
    )
    region = _claim_field(
        "region", label=_("State or region"), widget=forms.TextInput(attrs={"autocomplete": "address-level1"})
    )
    unit_condition = _claim_field(
        "unit_condition",
        forms.ChoiceField,
        label=_("Condition of the unit"),
        choices=[
            ("intact", _("Looks intact")),
            ("damaged", _("Damaged: cracked, dented, burnt or leaking")),
            ("swollen", _("Swollen: the case bulges or no longer closes")),
        ],
        initial="intact",
        widget=forms.RadioSelect,
        help_text=_(
            "A damaged or swollen unit must not be carried around: where the programme sends return kits "
            "by mail, you can order one on your claim's status page."
        ),
    )
    price_paid = _claim_field(
        "price_paid",
        forms.DecimalField,
        label=_("Price you paid (optional)"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        localize=True,  # "59,90" where the customer writes so
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_(
            "As on your receipt. A refund is at least the price you paid: a price above the standard "
            "refund is checked against your proof of purchase."
        ),
    )
    proof_of_purchase = _claim_field(
        "proof_of_purchase",
        forms.FileField,
        label=_("Proof of purchase (receipt or invoice)"),
        help_text=_UPLOAD_HELP,
        widget=forms.FileInput(attrs={"accept": _UPLOAD_ACCEPT}),
    )
    product_photo = _claim_field(
        "product_photo",
        forms.FileField,
        label=_("Photo of the unit's label"),
        help_text=format_lazy(
            "{} {}",
            _("Required where the programme says so above: write RECALLED on the unit first."),
            _UPLOAD_HELP,
        ),
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


class PageMessages(forms.Form):
    """No fields, bound: the errors a page shows above everything (an expired link, a rate)."""

    def __init__(self) -> None:
        super().__init__(data={})
        self.full_clean()


class StatusLinksForm(_PageForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The address you gave with your claim."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
