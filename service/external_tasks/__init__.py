"""External tasks: service tasks published on a topic for workers outside Motcua (Camunda style)."""
