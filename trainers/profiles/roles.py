"""An account read with what its roles need: how many groups it organises and
whether it has a trainer's profile, as a count and a flag beside the account,
so that asking `user.roles` loads neither relationship (as objects they cost
a page more than the account itself)."""

from sqlalchemy import exists, func, select
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.interfaces import LoaderOption

from trainers.auth.models import User
from trainers.network.models import group_organisers
from trainers.profiles.models import TrainerProfile


def with_roles() -> tuple[LoaderOption, ...]:
    """Loader options for a statement that reads `User`: its roles come with it."""
    return (
        with_expression(
            User.groups_organised,
            select(func.count())
            .where(group_organisers.c.user_id == User.id)
            .scalar_subquery(),
        ),
        with_expression(
            User.has_trainer_profile,
            exists().where(TrainerProfile.user_id == User.id),
        ),
    )
