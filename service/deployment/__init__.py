"""Deploying BPMN: the one place that composes definitions, instances and procedures for a deploy."""
