"""The hazard's closed loop as data: which step may follow which, and who may take it.

报告 → 评估定级 → 整改 → 复查 → 验收 → 销号, with send-back at each review and
closing as a duplicate from any open state.
"""

from dataclasses import dataclass

from anjian.hazard.v1.hazard_pb2 import HazardState
from anjian_kernel.auth import Role

S = HazardState
OPEN_STATES = frozenset(
    {
        S.HAZARD_STATE_REPORTED,
        S.HAZARD_STATE_GRADED,
        S.HAZARD_STATE_RECTIFYING,
        S.HAZARD_STATE_AWAITING_REINSPECTION,
        S.HAZARD_STATE_AWAITING_ACCEPTANCE,
        S.HAZARD_STATE_ACCEPTED,
    }
)
REVIEW_STATES = frozenset(
    {
        S.HAZARD_STATE_AWAITING_REINSPECTION,
        S.HAZARD_STATE_AWAITING_ACCEPTANCE,
        S.HAZARD_STATE_ACCEPTED,
    }
)
OFFICIALS = frozenset({Role.INSPECTOR, Role.ADMIN})


@dataclass(frozen=True)
class Step:
    """One step of the loop: the states it starts from, where it leads, who may take it.

    `to_state` None means the step keeps the state (listed supervision).
    """

    action: str
    from_states: frozenset["HazardState.ValueType"]
    to_state: "HazardState.ValueType | None"
    roles: frozenset[Role]


GRADE = Step("GradeHazard", frozenset({S.HAZARD_STATE_REPORTED}), S.HAZARD_STATE_GRADED, OFFICIALS)
ASSIGN = Step(
    "AssignRectification", frozenset({S.HAZARD_STATE_GRADED}), S.HAZARD_STATE_RECTIFYING, OFFICIALS
)
SUBMIT = Step(
    "SubmitRectification",
    frozenset({S.HAZARD_STATE_RECTIFYING}),
    S.HAZARD_STATE_AWAITING_REINSPECTION,
    frozenset({Role.ENTERPRISE, Role.ADMIN}),
)
REINSPECT = Step(
    "ReinspectHazard",
    frozenset({S.HAZARD_STATE_AWAITING_REINSPECTION}),
    S.HAZARD_STATE_AWAITING_ACCEPTANCE,
    OFFICIALS,
)
ACCEPT = Step(
    "AcceptHazard",
    frozenset({S.HAZARD_STATE_AWAITING_ACCEPTANCE}),
    S.HAZARD_STATE_ACCEPTED,
    OFFICIALS,
)
CLOSE = Step("CloseHazard", frozenset({S.HAZARD_STATE_ACCEPTED}), S.HAZARD_STATE_CLOSED, OFFICIALS)
SEND_BACK = Step("SendBackHazard", REVIEW_STATES, S.HAZARD_STATE_RECTIFYING, OFFICIALS)
MARK_DUPLICATE = Step("MarkDuplicateHazard", OPEN_STATES, S.HAZARD_STATE_DUPLICATE, OFFICIALS)
LIST_SUPERVISION = Step(
    "PlaceUnderListedSupervision", OPEN_STATES - {S.HAZARD_STATE_REPORTED}, None, OFFICIALS
)
DETECT_OVERDUE = Step("DetectOverdue", frozenset({S.HAZARD_STATE_RECTIFYING}), None, OFFICIALS)

REPORTERS = frozenset({Role.ENTERPRISE, Role.INSPECTOR, Role.ADMIN})


def state_name(state: "HazardState.ValueType") -> str:
    """The short name of a state, e.g. `RECTIFYING`."""
    return HazardState.Name(state).removeprefix("HAZARD_STATE_")
