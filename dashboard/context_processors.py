def navigation(request):
    """The organization the page is in, and the others the user may switch to."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    others = [
        m.organization
        for m in request.user.memberships.select_related("organization")
        if m.organization_id != membership.organization_id
    ]
    return {
        "membership": membership,
        "organization": membership.organization,
        "other_organizations": others,
    }
