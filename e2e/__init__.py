"""End-to-end tier: the on-prem example stacks through the real Pulumi engine, the real pulumi-kubernetes
provider and a real kube-apiserver on loopback (`python -m e2e`). Recipes: ../shared/notes/real-engine.md."""
