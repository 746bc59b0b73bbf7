def navigation(request):
    """The organization the page is in, and the others the user may switch to.

    Both come from what the access decorator already loaded (`request.membership`,
    `request.memberships`): no query of its own, on any page."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    others = [
        m.organization
        for m in getattr(request, "memberships", ())
        if m.organization_id != membership.organization_id
    ]
    return {
        "membership": membership,
        "organization": membership.organization,
        "other_organizations": others,
    }
