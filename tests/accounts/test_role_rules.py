import pytest

from app.accounts.workspaces import invite_refusal, removal_refusal, role_change_refusal
from app.models import Role

OWN, ADM, MEM = Role.OWNER, Role.ADMIN, Role.MEMBER


@pytest.mark.parametrize(
    ("actor", "target", "new", "owners", "allowed"),
    [
        (OWN, MEM, ADM, 1, True),
        (OWN, MEM, OWN, 1, True),
        (OWN, OWN, MEM, 2, True),
        (OWN, OWN, MEM, 1, False),  # the last owner
        (ADM, MEM, ADM, 1, True),
        (ADM, ADM, MEM, 1, True),
        (ADM, MEM, OWN, 1, False),  # only owners grant owner
        (ADM, OWN, MEM, 2, False),  # only owners demote owners
        (MEM, MEM, ADM, 1, False),
    ],
)
def test_it_decides_role_changes(actor: Role, target: Role, new: Role, owners: int, allowed: bool) -> None:
    assert (role_change_refusal(actor, target, new, owners) is None) is allowed


@pytest.mark.parametrize(
    ("actor", "target", "owners", "allowed"),
    [
        (OWN, MEM, 1, True),
        (OWN, OWN, 2, True),
        (OWN, OWN, 1, False),
        (ADM, MEM, 1, True),
        (ADM, ADM, 1, True),
        (ADM, OWN, 2, False),
        (MEM, MEM, 1, False),
    ],
)
def test_it_decides_removals(actor: Role, target: Role, owners: int, allowed: bool) -> None:
    assert (removal_refusal(actor, target, owners) is None) is allowed


@pytest.mark.parametrize(
    ("actor", "role", "allowed"), [(OWN, OWN, True), (ADM, ADM, True), (ADM, OWN, False), (MEM, MEM, False)]
)
def test_it_decides_invitations(actor: Role, role: Role, allowed: bool) -> None:
    assert (invite_refusal(actor, role) is None) is allowed
