from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the field's max_length after the field is built, so nothing
        # enforces it; an over-long name would reach the lockout's attempt log (255 characters)
        # and fail there.
        field = self.fields["username"]
        field.validators.append(
            MaxLengthValidator(
                field.max_length, f"A username has at most {field.max_length} characters."
            )
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("login", "Log in", css_class="w-100"))
