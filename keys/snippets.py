"""The first request in curl, Python (`requests`) and Node (`fetch(`), for the snippet tabs
(templates/keys/snippets.html) of the quickstart's step 4 and the key-created dialog.

With `key` (the dialog, which shows the key once anyway) the snippets hold it; without, they
read it from the environment variable the quickstart has people export."""

from dataclasses import dataclass

ENV_VAR = "KEYDESK_KEY"


@dataclass(frozen=True, slots=True)
class Snippet:
    slug: str
    label: str
    code: str


def first_request(verify_url: str, *, key: str | None = None) -> list[Snippet]:
    if key is None:
        shell, python, node = (
            f"${ENV_VAR}",
            f"f\"Bearer {{os.environ['{ENV_VAR}']}}\"",
            f"`Bearer ${{process.env.{ENV_VAR}}}`",
        )
        python_imports = "import os\n\nimport requests\n"
    else:
        shell, python, node = key, f'"Bearer {key}"', f'"Bearer {key}"'
        python_imports = "import requests\n"
    return [
        Snippet("curl", "curl", f'curl -H "Authorization: Bearer {shell}" {verify_url}'),
        Snippet(
            "python",
            "Python",
            f"{python_imports}\n"
            f"response = requests.get(\n"
            f'    "{verify_url}",\n'
            f'    headers={{"Authorization": {python}}},\n'
            f"    timeout=10,\n"
            f")\n"
            f"print(response.status_code, response.json())",
        ),
        Snippet(
            "node",
            "Node",
            f'const response = await fetch("{verify_url}", {{\n'
            f"  headers: {{ Authorization: {node} }},\n"
            f"}});\n"
            f"console.log(response.status, await response.json());",
        ),
    ]
