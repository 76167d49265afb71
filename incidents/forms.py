"""The incident page's form: the API's serializer is the one definition of the input (which fields are
required, how long each may be); the form adds what a person reads."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from claims.uploads import MAX_UPLOAD_BYTES
from recalls.countries import country_label
from recalls.models import ProductModel

from .models import Incident
from .serializers import IncidentCreateInputSerializer

_INPUT = IncidentCreateInputSerializer().fields
_PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"
_PHOTO_HELP = lazy(
    lambda: (
        gettext("A JPEG, PNG or WebP image, up to %(size)d MB, stored privately without its location data.")
        % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    ),
    str,
)()
_SERIAL_ATTRS = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}

KIND_LABELS = {
    Incident.Kind.OVERHEATING: _("It got very hot"),
    Incident.Kind.SMOKE: _("It smoked"),
    Incident.Kind.MELTING: _("It melted or swelled"),
    Incident.Kind.FIRE: _("It caught fire"),
    Incident.Kind.EXPLOSION: _("It exploded"),
    Incident.Kind.OTHER: _("Something else"),
}


def _field(name: str, field_class: type[forms.Field] = forms.CharField, **presentation) -> forms.Field:
    spec = _INPUT[name]
    limits: dict = {"required": spec.required}
    if getattr(spec, "max_length", None) and issubclass(field_class, forms.CharField):
        limits["max_length"] = spec.max_length
    return field_class(**limits, **presentation)


def _model_choices() -> list[tuple[str, str]]:
    return [("", _("Choose your model"))] + [
        (model.model_number, f"{model.model_number} – {model.name}") for model in ProductModel.objects.all()
    ]


def _country_choices() -> list[tuple[str, str]]:
    # Every country, in the reader's language: an incident is reported wherever it happened.
    return [("", _("Choose the country"))] + sorted(
        ((country.code, country_label(country.code)) for country in countries),
        key=lambda choice: str(choice[1]),
    )


class IncidentForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["model_number"].choices = _model_choices()
        self.fields["country"].choices = _country_choices()

    model_number = _field(
        "model_number",
        forms.ChoiceField,
        label=_("Model number"),
        help_text=_("Printed on the unit's label, e.g. A1263."),
    )
    serial = _field(
        "serial",
        label=_("Serial number (if you can read it)"),
        help_text=_("As printed on the label; spaces and dashes do not matter."),
        widget=forms.TextInput(attrs=_SERIAL_ATTRS),
    )
    country = _field("country", forms.ChoiceField, label=_("Country where it happened"))
    kind = _field(
        "kind",
        forms.ChoiceField,
        label=_("What happened to the unit?"),
        choices=list(KIND_LABELS.items()),
        widget=forms.RadioSelect,
    )
    injury = forms.BooleanField(label=_("Someone was hurt"), required=False)
    property_damage = forms.BooleanField(
        label=_("Something else was damaged (furniture, a room, a car)"), required=False
    )
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    description = _field(
        "description",
        label=_("What happened"),
        help_text=_("Where the unit was, whether it was charging, what you saw and did."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    name = _field("name", label=_("Full name"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = _field(
        "email",
        forms.EmailField,
        label=_("E-mail address"),
        help_text=_("Our safety team may write to you about your report."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = _field(
        "phone",
        label=_("Phone number (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    claim_reference = _field(
        "claim_reference",
        label=_("Claim reference (if you made a claim for this unit)"),
        help_text=_("For example RC-7K3F9QX2."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    photo = _field(
        "photo",
        forms.FileField,
        label=_("Photo of the unit or the damage (optional)"),
        help_text=_PHOTO_HELP,
        widget=forms.FileInput(attrs={"accept": _PHOTO_ACCEPT}),
    )
