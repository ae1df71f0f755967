"""The record of every tenant's person-key salt, kept in the operator's namespace.

The credit service stores, for each banned individual, a salted hash of the ID number; a
new salt would make every stored key stop matching, and a banned person would pass the ban
check. The copy the credit pods read lives in the tenant namespace and goes with it, while
a retained database outlives it; so the salt that counts is recorded here, one key per
prefecture code, before any copy is made, and it is removed only with the database.
"""

from lightkube import AsyncClient

from anjian_operator.shared_secret import SharedSecret


class PersonKeySalts:
    """Prefecture code → salt, in one Secret of the operator's namespace."""

    def __init__(self, client: AsyncClient, namespace: str, name: str) -> None:
        """The record in Secret `namespace/name`; the first tenant creates it."""
        self.secret = SharedSecret(client, namespace, name)

    async def keep(self, code: str, candidate: str) -> str:
        """The salt recorded for `code`; `candidate` is recorded only when there is none.

        A recorded salt is never replaced, so the answer is the same on every call until
        `forget`, whoever races to record first.
        """

        def record(salts: dict[str, str]) -> dict[str, str]:
            return salts if code in salts else salts | {code: candidate}

        return (await self.secret.update(record))[code]

    async def forget(self, code: str) -> None:
        """Drop the salt of `code`: only once the tenant's database is gone."""

        def drop(salts: dict[str, str]) -> dict[str, str]:
            return {key: salt for key, salt in salts.items() if key != code}

        await self.secret.update(drop)
