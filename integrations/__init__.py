"""Connectors that service tasks call by name (agency systems, the national DVC portal, post).

The connector registry and the worker that calls it arrive with asynchronous execution;
until then a service task in a deployed process fails the instance with a clear message.
"""
