from environments.access import current_membership
from environments.models import Membership


def navigation(request):
    """The organization the page is in, and the others the user may switch to.

    Pages outside an organization's views (changing one's password, an error page) still
    show the signed-in user's navigation."""
    membership = getattr(request, "membership", None)
    if membership is None and getattr(request, "user", None) and request.user.is_authenticated:
        membership = current_membership(request)
    if membership is None:
        return {}
    memberships = Membership.objects.for_user(request.user).order_by("created_at", "id")
    others = [
        m.organization for m in memberships if m.organization_id != membership.organization_id
    ]
    return {
        "membership": membership,
        "organization": membership.organization,
        "other_organizations": others,
    }
