"""A Pulumi policy pack for traffic-edge stacks: `pulumi preview --policy-pack policy`."""
