"""Named mutations: the only way the client and the server change operational data.

A user action becomes one named mutation (``incident.dispatch``…). The same
apply function runs optimistically on the workstation (inside the transaction
that also writes the outbox entry) and authoritatively on the county server
(inside the transaction that writes the change log). Each apply returns a
:class:`Changes` value saying which rows it touched, so views refresh what
they show and nothing else.
"""

from commandroom.mutations.core import (  # noqa: F401
    REGISTRY,
    Actor,
    Changes,
    MutationContext,
    MutationSpec,
    apply_mutation,
    get_spec,
    mutation,
)
