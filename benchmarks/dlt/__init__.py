"""The dlt side of the ``vs_dlt`` benchmark: a pinned, isolated environment for dlt and the
``rest_api`` pipeline run inside it. dlt is never a dependency of the project itself."""
