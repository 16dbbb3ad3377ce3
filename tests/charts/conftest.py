"""Chart tests approve stories through the real services, as the search tests do."""

from tests.search.conftest import publish  # noqa: F401
