"""What the account's and the office's API token pages share: making a token
from the form, to show its text once."""

from flask_login import current_user

from trainers.auth import api_tokens
from trainers.auth.forms import ApiTokenForm
from trainers.auth.models import User
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt


def make_from_form(owner: User) -> tuple[ApiTokenForm, str | None]:
    """The form to show and, when it was sent and valid, the new token's text
    (committed): shown on that answer only, never in a flash (the cookie) or
    a URL. Errors go on the form."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return form, None
    tried = attempt(
        lambda: api_tokens.create_token(
            owner,
            form.name.data,
            form.scope.data,
            form.days.data,
            by=current_user,
            now=utcnow(),
        )[0],
        form,
    )
    if not tried.done:
        return form, None
    return ApiTokenForm(formdata=None), tried.value
