"""Live state as values: everything a plan and its checks read from AWS, gathered before planning
(gather.py) and read by the pure planner and checks. Nothing here talks to AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The tags that say which project and environment own a component (planner.owner_tags writes them).
PROJECT_TAG = "icsync:project"
ENVIRONMENT_TAG = "icsync:environment"

# Endpoint states SageMaker ends by itself that an endpoint with components shows in the ordinary
# course: Updating while managed instance scaling adds or releases instances for them, for minutes
# after an apply (a saved run: aws-samples/sagemaker-genai-hosting-examples,
# 03-features/deployment/ic_rolling_deployment.ipynb), SystemUpdating while AWS maintains it.
# Whether AWS refuses a component's change then is not known (the sandbox's switch
# endpoint_updating_refuses_components): the plan warns, and apply sends the change and, if it is
# refused, waits for the endpoint to be InService and sends it again.
ENDPOINT_AT_WORK = ("Updating", "SystemUpdating")

Document = dict[str, Any]


@dataclass(frozen=True)
class LiveComponent:
    describe: Document
    tags: dict[str, str]


@dataclass(frozen=True)
class LiveScaling:
    """A component's Application Auto Scaling target and icsync's policy on it, as read."""

    target: Document | None
    policy: Document | None


@dataclass(frozen=True)
class LiveState:
    # Described components, by name: those the manifests name, plus owned ones on managed endpoints.
    components: dict[str, LiveComponent] = field(default_factory=dict)
    # Every component listed on the managed endpoints (list summaries), by name.
    listed: dict[str, Document] = field(default_factory=dict)
    # Targets and policies of the components that are (or were) autoscaled, by component name.
    autoscaling: dict[str, LiveScaling] = field(default_factory=dict)
    # What the pre-flight and capacity checks read: only for the endpoints a change touches.
    endpoints: dict[str, Document | None] = field(default_factory=dict)  # None: does not exist
    configs: dict[str, Document | None] = field(default_factory=dict)
    models: dict[str, bool] = field(default_factory=dict)  # model name -> exists
    alarms: frozenset[str] = frozenset()  # the rollback alarms that exist
    # Describes of the other components on a touched endpoint (what else takes its capacity).
    neighbours: dict[str, Document] = field(default_factory=dict)
    # --check-images: ECR image -> the digest its tag points to now (see images.py).
    image_digests: dict[str, str] = field(default_factory=dict)

    def owned(self, name: str, project: str, environment: str) -> bool:
        found = self.components.get(name)
        return bool(found and found.tags.get(PROJECT_TAG) == project
                    and found.tags.get(ENVIRONMENT_TAG) == environment)
