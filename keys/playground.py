"""The API playground: try a key and see exactly what `GET /v1/auth/verify` answers.

The key is POSTed with the CSRF token and verified in process by the endpoint's own code
(`verify_answer`), so the page cannot drift from the API. It is a real verification: it
counts as a use of the key (last use, daily counts) and against its rate limit, from this
browser's address and origin, as a request from here would. The key is never put in a URL,
stored, logged or audited, and never rendered back into the form.
"""

import json

from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from environments.access import OrgRequest, membership_required
from keys.api import verify_answer
from keys.forms import PlaygroundForm
from keys.views import verify_url


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("key")  # kept out of error reports
@never_cache
@vary_on_headers("HX-Request")
@membership_required
def playground(request: OrgRequest) -> TemplateResponse:
    form = PlaygroundForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {"form": form, "verify_url": verify_url(request)}
    if form.is_valid():
        asked = form.cleaned_data["permissions"]
        answer = verify_answer(request, asked=asked, key=form.cleaned_data["key"])
        context |= {
            "answer": answer,
            "pretty_body": json.dumps(answer.body, indent=2),
            "asked": ",".join(asked),
        }
    template = "keys/playground.html#result" if request.htmx else "keys/playground.html"
    status = 422 if form.is_bound and not form.is_valid() else 200
    return TemplateResponse(request, template, context, status=status)
