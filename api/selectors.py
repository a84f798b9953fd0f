from api.keys import KEY_PREFIX, hash_key
from api.models import ApiKey


def api_key_for(raw_key: str) -> ApiKey | None:
    """The key a request presents, usable or not (the caller says which refusal)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    return ApiKey.objects.select_related("actor").filter(hashed_key=hash_key(raw_key)).first()
