"""The Kubernetes objects that fence a tenant in: namespace, quotas, network policy, Secrets."""

from lightkube.models.core_v1 import LimitRangeItem, LimitRangeSpec, ResourceQuotaSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.models.networking_v1 import (
    NetworkPolicyEgressRule,
    NetworkPolicyIngressRule,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicySpec,
)
from lightkube.models.rbac_v1 import RoleRef, Subject
from lightkube.resources.core_v1 import LimitRange, Namespace, ResourceQuota, Secret
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import RoleBinding

from anjian_operator.prefecture import PrefectureSpec, TenantNames

TENANT_LABEL = "anjian.io/tenant"
MANAGED_BY = {"app.kubernetes.io/managed-by": "anjian-operator"}
INGRESS_LABEL = "anjian.io/ingress"
DNS_PORT = 53


def _labels(names: TenantNames) -> dict[str, str]:
    return {TENANT_LABEL: names.code, **MANAGED_BY}


def namespace(names: TenantNames, spec: PrefectureSpec) -> Namespace:
    """The tenant's namespace; pods in it must meet the `restricted` Pod Security Standard."""
    labels = _labels(names) | {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    annotations = {"anjian.io/display-name": spec.display_name} if spec.display_name else None
    return Namespace(
        metadata=ObjectMeta(name=names.namespace, labels=labels, annotations=annotations)
    )


def resource_quota(names: TenantNames, spec: PrefectureSpec) -> ResourceQuota:
    """Ceilings on what the tenant's namespace may request."""
    hard = {
        "requests.cpu": spec.quota.cpu,
        "limits.cpu": spec.quota.cpu,
        "requests.memory": spec.quota.memory,
        "limits.memory": spec.quota.memory,
        "pods": str(spec.quota.pods),
    }
    return ResourceQuota(
        metadata=ObjectMeta(name="anjian-tenant", namespace=names.namespace, labels=_labels(names)),
        spec=ResourceQuotaSpec(hard=hard),
    )


def limit_range(names: TenantNames, spec: PrefectureSpec) -> LimitRange:
    """Defaults for containers that name no resources, so the quota can admit them."""
    defaults = {"cpu": spec.quota.default_cpu, "memory": spec.quota.default_memory}
    item = LimitRangeItem(type="Container", default=defaults, defaultRequest=defaults)
    return LimitRange(
        metadata=ObjectMeta(name="anjian-tenant", namespace=names.namespace, labels=_labels(names)),
        spec=LimitRangeSpec(limits=[item]),
    )


def network_policy(names: TenantNames, infra_label: str) -> NetworkPolicy:
    """Isolate the tenant: traffic only within its namespace, from ingress controllers, and
    out to DNS and the shared infrastructure (database, bus, OTLP collector)."""
    same_namespace = NetworkPolicyPeer(podSelector=LabelSelector())
    ingress_controllers = NetworkPolicyPeer(
        namespaceSelector=LabelSelector(matchLabels={INGRESS_LABEL: "true"})
    )
    infra = NetworkPolicyPeer(namespaceSelector=LabelSelector(matchLabels={infra_label: "true"}))
    dns = NetworkPolicyEgressRule(
        ports=[
            NetworkPolicyPort(protocol="UDP", port=DNS_PORT),
            NetworkPolicyPort(protocol="TCP", port=DNS_PORT),
        ]
    )
    return NetworkPolicy(
        metadata=ObjectMeta(
            name="anjian-tenant-isolation", namespace=names.namespace, labels=_labels(names)
        ),
        spec=NetworkPolicySpec(
            podSelector=LabelSelector(),
            policyTypes=["Ingress", "Egress"],
            ingress=[NetworkPolicyIngressRule(from_=[same_namespace, ingress_controllers])],
            egress=[NetworkPolicyEgressRule(to=[same_namespace, infra]), dns],
        ),
    )


def secret(names: TenantNames, name: str, data: dict[str, str]) -> Secret:
    """An Opaque Secret in the tenant's namespace."""
    return Secret(
        metadata=ObjectMeta(name=name, namespace=names.namespace, labels=_labels(names)),
        type="Opaque",
        stringData=data,
    )


def operator_binding(
    names: TenantNames, tenant_role: str, account: str, namespace: str
) -> RoleBinding:
    """Grant the operator's service account the tenant ClusterRole in this namespace only,
    so it holds no cluster-wide rights over Secrets or workloads."""
    return RoleBinding(
        metadata=ObjectMeta(
            name="anjian-operator", namespace=names.namespace, labels=_labels(names)
        ),
        roleRef=RoleRef(apiGroup="rbac.authorization.k8s.io", kind="ClusterRole", name=tenant_role),
        subjects=[Subject(kind="ServiceAccount", name=account, namespace=namespace)],
    )
