"""A Secret in the operator's namespace whose keys several tenants share.

Two ways to write it. `apply` replaces every key at once by server-side apply, for a
caller that holds the whole picture under a lock (the NATS accounts). `update` changes
some keys by a read-modify-write that the API server checks against the resourceVersion
it read, retried on conflict, so concurrent reconciles of different tenants never lose
each other's keys.
"""

import base64
from collections.abc import Callable, Mapping

from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_random_exponential

FIELD_MANAGER = "anjian-operator"
LABELS = {"app.kubernetes.io/managed-by": "anjian-operator"}
CONFLICT_RETRY_SECONDS = 30.0

Change = Callable[[dict[str, str]], dict[str, str]]
"""Current keys in, wanted keys out; called again with fresh keys after a conflict."""


def _conflict(error: BaseException) -> bool:
    """Someone else wrote (or created) the Secret between our read and our write."""
    return isinstance(error, ApiError) and error.status.code == 409


def _decode(secret: Secret | None) -> dict[str, str]:
    if secret is None:
        return {}
    return {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}


def _encode(data: Mapping[str, str]) -> dict[str, str]:
    return {key: base64.b64encode(text.encode()).decode() for key, text in data.items()}


class SharedSecret:
    """Secret `namespace/name`, read and written as decoded text keys."""

    def __init__(self, client: AsyncClient, namespace: str, name: str) -> None:
        """The Secret `namespace/name`; it need not exist yet."""
        self.client, self.namespace, self.name = client, namespace, name

    async def _get(self) -> Secret | None:
        try:
            return await self.client.get(Secret, self.name, namespace=self.namespace)
        except ApiError as error:
            if error.status.code == 404:
                return None
            raise

    async def read(self) -> dict[str, str]:
        """Every key, decoded; empty when the Secret does not exist."""
        return _decode(await self._get())

    async def apply(self, data: Mapping[str, str]) -> None:
        """Make `data` the whole content: keys left out are deleted.

        `data` rather than `stringData`: server-side apply tracks each `data` key as ours,
        so a key left out of the next apply is deleted.
        """
        secret = Secret(
            metadata=ObjectMeta(name=self.name, namespace=self.namespace, labels=LABELS),
            data=_encode(data),
        )
        await self.client.apply(secret, field_manager=FIELD_MANAGER, force=True)

    async def update(self, change: Change) -> dict[str, str]:
        """Apply `change` to the current keys and store the result; return what is stored.

        The write carries the resourceVersion read, so the API server refuses it if anyone
        wrote in between; then `change` runs again on what they wrote.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception(_conflict),
            stop=stop_after_delay(CONFLICT_RETRY_SECONDS),
            wait=wait_random_exponential(multiplier=0.05, max=1.0),
            reraise=True,
        )
        stored: dict[str, str] = {}
        async for attempt in retrying:
            with attempt:
                stored = await self._update_once(change)
        return stored

    async def _update_once(self, change: Change) -> dict[str, str]:
        secret = await self._get()
        current = _decode(secret)
        wanted = change(dict(current))
        if wanted == current:
            return current
        if secret is None:
            # A create that loses the race fails with 409 AlreadyExists: retried as well.
            meta = ObjectMeta(name=self.name, namespace=self.namespace, labels=LABELS)
            await self.client.create(Secret(metadata=meta, data=_encode(wanted)))
        else:
            secret.data = _encode(wanted)
            await self.client.replace(secret, field_manager=FIELD_MANAGER)
        return wanted
