"""The names of the application secrets: the one list of them.

Each name is a key of the JSON app secret on AWS (``APP_SECRET_ID``) and a settings field
locally (``SECRETS_SOURCE=env``). ``socialmetrics.secrets`` accepts exactly these names,
``socialmetrics.config`` refuses their development values outside development, and the
stack definition (``infra/definition.py``) writes them into the app secret's template. This
module imports only the standard library so that the infrastructure code can import it.
"""

from __future__ import annotations

from typing import Literal, get_args

SecretName = Literal[
    "jwt_signing_key",
    "meta_app_secret",
    "meta_verify_token",
    "instagram_app_secret",
    "x_consumer_secret",
    "x_client_secret",
    "tiktok_client_secret",
]
APP_SECRET_KEYS: tuple[SecretName, ...] = get_args(SecretName)
# The one the stack generates (the platform secrets are set by the operator).
GENERATED_SECRET_KEY: SecretName = "jwt_signing_key"  # noqa: S105 - a name, not a secret
