"""Domain errors: each one says, in words a duty officer can read, what is wrong."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for errors a user can understand and act on."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **{k: str(v) for k, v in self.details.items()}}


class IllegalTransition(DomainError):
    """An action that the workflow does not allow from the current state."""

    code = "illegal_transition"

    def __init__(self, entity: str, state: str, action: str, allowed: list[str] | None = None) -> None:
        allowed_txt = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        super().__init__(
            f"{entity} in state '{state}' cannot '{action}'{allowed_txt}",
            entity=entity,
            state=state,
            action=action,
        )
        self.entity = entity
        self.state = state
        self.action = action
        self.allowed = allowed or []


class ValidationError(DomainError):
    """Bad input: names the field and what is wrong with it."""

    code = "validation_error"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", field=field)
        self.field = field
        self.problem = problem


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} does not exist", entity=entity, ident=ident)


class Forbidden(DomainError):
    code = "forbidden"


class ReferenceDataError(DomainError):
    """A problem in a reference-data file: names the file, the row and the field."""

    code = "reference_data_error"

    def __init__(self, file: str, row: int | str | None, field: str | None, problem: str) -> None:
        where = file
        if row is not None:
            where += f", row {row}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}", file=file, row=row, field=field)
        self.file = file
        self.row = row
        self.field = field
        self.problem = problem


class ClosureRefused(DomainError):
    """Closing (or verifying) an incident without what its closure rule asks (闭环)."""

    code = "closure_refused"


class UnknownPhoto(DomainError):
    """A mutation names a photo the county server does not hold (it was never uploaded)."""

    code = "unknown_photo"
