"""paas.portal.apply_errors: a service's ValidationError lands next to the right field."""

from django import forms
from django.core.exceptions import ValidationError

from paas.portal import apply_errors


class Sample(forms.Form):
    name = forms.CharField()
    expires_on = forms.DateField(required=False)


def bound() -> Sample:
    form = Sample({"name": "x"})
    assert form.is_valid()
    return form


def test_a_field_error_goes_to_its_field():
    form = bound()
    apply_errors(form, ValidationError({"name": "Taken."}))
    assert form.errors == {"name": ["Taken."]}
    assert "name" not in form.cleaned_data


def test_service_keys_can_be_renamed_to_form_fields():
    form = bound()
    apply_errors(
        form, ValidationError({"expires_at": "In the past."}), fields={"expires_at": "expires_on"}
    )
    assert form.errors == {"expires_on": ["In the past."]}


def test_keys_the_form_lacks_and_plain_messages_become_form_errors():
    form = bound()
    apply_errors(form, ValidationError({"role": "Nope.", "__all__": "Also nope."}))
    apply_errors(form, ValidationError("Plain."))
    assert form.non_field_errors() == ["Nope.", "Also nope.", "Plain."]
