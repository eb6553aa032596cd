"""Connectors' contracts: what each connector offers, checked before a model is deployed and on
every call.

A contract is a JSON file in integrations/contracts/ (`<connector>.json`, checked against
`contract.schema.json`): the connector's name and title, where its field names come from, its
default timeout and retry policy, and its operations, each with a JSON Schema for its parameters
and one for its result.

- At deploy (`deploy_problems`), a service task naming an operation no contract offers, leaving out
  a required parameter, passing one the operation does not take, or passing a literal value that
  cannot fit is refused, naming the element.
- On a call (`Operation.param_problems` / `result_problems`), parameters that do not fit are
  refused before anything is sent (not retryable), and an answer that does not fit the result's
  schema is an error (not retryable: the remote system broke its contract).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
META_SCHEMA = "contract.schema.json"
MAX_PROBLEMS = 10


class ContractError(ValueError):
    """A contract file that is not valid JSON or does not follow contract.schema.json."""


@dataclass(frozen=True)
class Operation:
    connector: str
    name: str
    title: str
    params: dict = field(repr=False)
    result: dict = field(repr=False)

    @property
    def key(self) -> str:
        return f"{self.connector}/{self.name}"

    def param_problems(self, params: dict) -> list[str]:
        return _problems(self.params, params, "params")

    def result_problems(self, result: dict) -> list[str]:
        return _problems(self.result, result, "result")


@dataclass(frozen=True)
class Contract:
    name: str
    title: str
    source: str | None
    timeout: float | None
    attempts: int | None
    backoff: float | None
    operations: dict[str, Operation]


def _problems(schema: dict, value, where: str) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(part) for part in error.absolute_path)
        found.append(f"{where}{'/' + path if path else ''}: {error.message}")
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def read(path: Path) -> Contract:
    """One contract file, checked."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise ContractError(f"{path.name}: not readable JSON: {error}") from None
    meta = json.loads((path.parent / META_SCHEMA).read_text("utf-8"))
    problems = _problems(meta, data, "contract")
    if problems:
        raise ContractError(f"{path.name}: " + "; ".join(problems))
    if data["name"] != path.stem:
        raise ContractError(f"{path.name}: its name {data['name']!r} must be its file name")
    operations = {}
    for name, spec in data["operations"].items():
        for part in ("params", "result"):
            try:
                Draft202012Validator.check_schema(spec[part])
            except SchemaError as error:
                raise ContractError(
                    f"{path.name}: {name}.{part} is not a JSON Schema: {error.message}"
                ) from None
        operations[name] = Operation(data["name"], name, spec["title"], spec["params"], spec["result"])
    retry = data.get("retry", {})
    return Contract(
        name=data["name"],
        title=data["title"],
        source=data.get("source"),
        timeout=data.get("timeout_seconds"),
        attempts=retry.get("attempts"),
        backoff=retry.get("backoff_seconds"),
        operations=operations,
    )


def load(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """Every contract of a folder by connector name (the shipped ones are read once)."""
    if directory == CONTRACTS_DIR:
        return _shipped()
    return _load(directory)


@functools.cache
def _shipped() -> dict[str, Contract]:
    return _load(CONTRACTS_DIR)


def _load(directory: Path) -> dict[str, Contract]:
    return {path.stem: read(path) for path in sorted(directory.glob("*.json")) if path.name != META_SCHEMA}


def find(operation: str, contracts: dict[str, Contract]) -> Operation | None:
    connector, _, name = (operation or "").partition("/")
    contract = contracts.get(connector)
    return contract.operations.get(name) if contract is not None else None


def deploy_problems(
    operation: str, params: list[str], literals: dict, contracts: dict[str, Contract]
) -> list[str]:
    """Why a service task as modelled cannot fit its operation's contract (empty: it can)."""
    found = find(operation, contracts)
    if found is None:
        connector, _, _ = (operation or "").partition("/")
        if connector in contracts:
            offered = ", ".join(sorted(contracts[connector].operations))
            return [f"the connector {connector!r} has no operation {operation!r} (it offers: {offered})"]
        known = ", ".join(sorted(contracts)) or "none"
        return [f"no connector offers the operation {operation!r} (connectors: {known})"]
    schema = found.params
    properties = schema.get("properties", {})
    problems = []
    if schema.get("additionalProperties") is False:
        problems += [
            f"{found.key} takes no parameter {name!r} (it takes: {', '.join(sorted(properties)) or 'none'})"
            for name in params
            if name not in properties
        ]
    problems += [
        f"{found.key} needs the parameter {name!r}"
        for name in schema.get("required", [])
        if name not in params
    ]
    for name, value in literals.items():
        if name in properties:
            problems += [
                f"{found.key}: {problem}" for problem in _problems(properties[name], value, f"params/{name}")
            ]
    return problems
