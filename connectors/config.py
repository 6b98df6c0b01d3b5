"""The connectors.yaml model: sources (OPC-UA, Modbus TCP, MQTT) mapping values to tags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.errors import ConfigError
from connectors.ports import SensorCatalog

_SOURCE_TYPES = ("opcua", "modbus", "mqtt")

RegisterType = Literal[
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "bool",
    "string",
]
REGISTER_WIDTH: dict[str, int] = {
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "int64": 4,
    "uint64": 4,
    "float32": 2,
    "float64": 4,
    "bool": 1,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecurityConfig(_Strict):
    """OPC-UA secure channel: policy, mode and the client's certificate and key files."""

    policy: Literal["None", "Basic256Sha256"] = "None"
    mode: Literal["None", "Sign", "SignAndEncrypt"] = "None"
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SecurityConfig:
        if self.policy == "None" and self.mode != "None":
            raise ValueError("policy None needs mode None")
        if self.policy != "None":
            if self.mode == "None":
                raise ValueError(f"policy {self.policy} needs mode Sign or SignAndEncrypt")
            if self.certificate is None or self.private_key is None:
                raise ValueError(f"policy {self.policy} needs certificate and private_key paths")
        return self


class AuthConfig(_Strict):
    """Username and the environment variable holding the password (never the password)."""

    username: str
    password_env: str | None = None


class SubscriptionConfig(_Strict):
    """OPC-UA subscription: publishing interval and absolute deadband."""

    publishing_interval_ms: Annotated[int, Field(gt=0)] = 1000
    deadband: Annotated[float, Field(ge=0)] = 0.0


class PollingConfig(_Strict):
    """OPC-UA polling instead of a subscription."""

    interval_ms: Annotated[int, Field(gt=0)] = 1000


class OpcUaTag(_Strict):
    """One OPC-UA node mapped to a sensor tag."""

    node: str
    tag: str
    deadband: Annotated[float, Field(ge=0)] | None = None

    @field_validator("node")
    @classmethod
    def _node_syntax(cls, v: str) -> str:
        from asyncua.ua import NodeId
        from asyncua.ua.uaerrors import UaStringParsingError

        try:
            NodeId.from_string(v)
        except (UaStringParsingError, ValueError, IndexError, TypeError) as err:
            raise ValueError(
                f"{v!r} is not an OPC-UA node id (e.g. ns=2;s=ME1.ExhaustTemp or ns=2;i=1001)"
            ) from err
        return v


class OpcUaSourceConfig(_Strict):
    """An OPC-UA server."""

    name: str
    type: Literal["opcua"]
    endpoint: Annotated[str, Field(pattern=r"^opc\.tcp://")]
    security: SecurityConfig = SecurityConfig()
    auth: AuthConfig | None = None
    subscription: SubscriptionConfig | None = None
    polling: PollingConfig | None = None
    timeout_s: Annotated[float, Field(gt=0)] = 5.0
    tags: Annotated[list[OpcUaTag], Field(min_length=1)]

    @model_validator(mode="after")
    def _one_mode(self) -> OpcUaSourceConfig:
        if self.subscription is not None and self.polling is not None:
            raise ValueError("give either subscription or polling, not both")
        return self

    @property
    def all_tags(self) -> list[str]:
        """Return the tags this source feeds."""
        return [t.tag for t in self.tags]


class ModbusRegister(_Strict):
    """One Modbus value: where it lives, how to decode it, and its tag."""

    address: Annotated[int, Field(ge=0, le=65535)]
    table: Literal["holding", "input", "coil", "discrete"] = "holding"
    type: RegisterType | None = None
    word_order: Literal["big", "little"] = "big"
    byte_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0
    length: Annotated[int, Field(ge=1, le=64)] | None = None
    """Registers a ``string`` spans (two ASCII characters each); only for strings."""
    tag: str

    @model_validator(mode="after")
    def _type_fits_table(self) -> ModbusRegister:
        bits = self.table in ("coil", "discrete")
        if self.type == "string" and self.length is None:
            raise ValueError("type string needs length: how many registers it spans")
        if self.type != "string" and self.length is not None:
            raise ValueError("length applies to type string only")
        if self.type is None:
            object.__setattr__(self, "type", "bool" if bits else "uint16")
        elif bits and self.type != "bool":
            raise ValueError(f"table {self.table} holds bits: type must be bool, not {self.type}")
        elif not bits and self.type == "bool":
            raise ValueError(f"type bool needs table coil or discrete, not {self.table}")
        return self

    @property
    def width(self) -> int:
        """Return how many registers (or bits) the value spans."""
        if self.type == "string":
            return self.length or 1
        return REGISTER_WIDTH[self.type or "uint16"]


class ModbusSourceConfig(_Strict):
    """A Modbus TCP device."""

    name: str
    type: Literal["modbus"]
    host: str
    port: Annotated[int, Field(gt=0, le=65535)] = 502
    unit: Annotated[int, Field(ge=0, le=255)] = 1
    poll_interval_ms: Annotated[int, Field(gt=0)] = 1000
    single_register_reads: bool = False
    max_registers_per_read: Annotated[int, Field(ge=1, le=125)] = 125
    max_gap: Annotated[int, Field(ge=0, le=32)] = 0
    timeout_s: Annotated[float, Field(gt=0)] = 3.0
    registers: Annotated[list[ModbusRegister], Field(min_length=1)]

    @property
    def all_tags(self) -> list[str]:
        """Return the tags this source feeds."""
        return [r.tag for r in self.registers]


class MqttTag(_Strict):
    """One MQTT topic (and JSON path into its payload) mapped to a tag."""

    topic: str
    json_path: str | None = None
    tag: str

    @field_validator("json_path")
    @classmethod
    def _path_syntax(cls, v: str | None) -> str | None:
        if v is not None:
            from connectors.mqtt.jsonpath import parse_json_path

            parse_json_path(v)
        return v


class MqttSourceConfig(_Strict):
    """An MQTT broker and the topics to read."""

    name: str
    type: Literal["mqtt"]
    broker: Annotated[str, Field(pattern=r"^mqtts?://[^/:]+(:\d+)?/?$")]
    qos: Literal[0, 1, 2] = 0
    client_id: str | None = None
    auth: AuthConfig | None = None
    tags: Annotated[list[MqttTag], Field(min_length=1)]

    @property
    def host(self) -> str:
        """Return the broker host name."""
        return self.broker.split("://", 1)[1].rstrip("/").split(":")[0]

    @property
    def port(self) -> int:
        """Return the broker port (1883 unless given)."""
        rest = self.broker.split("://", 1)[1].rstrip("/")
        return int(rest.split(":")[1]) if ":" in rest else 1883

    @property
    def all_tags(self) -> list[str]:
        """Return the tags this source feeds."""
        return [t.tag for t in self.tags]


SourceConfig = Annotated[
    OpcUaSourceConfig | ModbusSourceConfig | MqttSourceConfig, Field(discriminator="type")
]


class ConnectorsConfig(_Strict):
    """A whole connectors.yaml: the organization, the vessel and its sources."""

    organization: str | None = None
    """Name of the vessel's organization (required when the database holds several)."""
    vessel: str
    sources: list[SourceConfig]
    base_dir: Path | None = Field(default=None, exclude=True)
    secrets: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    @model_validator(mode="after")
    def _unique(self) -> ConnectorsConfig:
        names = [s.name for s in self.sources]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"source names must be unique: {', '.join(dup)} repeated")
        seen: dict[str, str] = {}
        for s in self.sources:
            for tag in s.all_tags:
                if tag in seen:
                    raise ValueError(f"tag {tag} is fed by both {seen[tag]!r} and {s.name!r}")
                seen[tag] = s.name
        return self

    def source(self, name: str) -> OpcUaSourceConfig | ModbusSourceConfig | MqttSourceConfig:
        """Return the source with this name."""
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def password(self, source_name: str) -> str | None:
        """Return the resolved password of a source (from its password_env), if any."""
        return self.secrets.get(source_name)

    def resolve_path(self, path: Path) -> Path:
        """Return a certificate/key path resolved against the config file's folder."""
        if path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    prev_was_index = False
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            prev_was_index = True
            continue
        # Drop the discriminator tag pydantic inserts after a union member's index.
        if (
            prev_was_index
            and part in _SOURCE_TYPES
            and i > 0
            and loc[i - 2 : i - 1] == ("sources",)
        ):
            prev_was_index = False
            continue
        if part.startswith("function-after[") or part.startswith("function-"):
            prev_was_index = False
            continue
        out += f".{part}" if out else part
        prev_was_index = False
    return out or "(top level)"


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    node = root
    line = None if node is None else node.start_mark.line + 1
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if node is None:
            break
        if token.startswith("["):
            idx = int(token[1:-1])
            if isinstance(node, yaml.SequenceNode) and idx < len(node.value):
                node = node.value[idx]
            else:
                break
        elif isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if getattr(k, "value", None) == token:
                    nxt = v
                    break
            if nxt is None:
                break
            node = nxt
        else:
            break
        line = node.start_mark.line + 1
    return line


def parse_config(
    text: str,
    *,
    source: str = "connectors.yaml",
    catalog: SensorCatalog | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> ConnectorsConfig:
    """Parse and validate connectors YAML text; raise ConfigError naming each bad path."""
    env = os.environ if env is None else env
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(source, [f"not valid YAML: {err}"]) from err
    if not isinstance(data, dict):
        raise ConfigError(source, ["(top level): expected a mapping with vessel and sources"])

    def where(path: str) -> str:
        line = _line_of(root, path)
        return f"{path} (line {line})" if line else path

    try:
        cfg = ConnectorsConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as err:
        problems = []
        for e in err.errors():
            path = _format_loc(tuple(e["loc"]))
            msg = str(e["msg"]).removeprefix("Value error, ")
            problems.append(f"{where(path)}: {msg}")
        raise ConfigError(source, problems) from err

    problems = []
    secrets: dict[str, str] = {}
    for i, src in enumerate(cfg.sources):
        auth = getattr(src, "auth", None)
        if auth is not None and auth.password_env is not None:
            value = env.get(auth.password_env)
            if value is None:
                path = f"sources[{i}].auth.password_env"
                problems.append(
                    f"{where(path)}: environment variable {auth.password_env} is not set "
                    "(export it before starting Bosun)"
                )
            else:
                secrets[src.name] = value
        if catalog is not None:
            items: list[Any]
            key = "registers" if isinstance(src, ModbusSourceConfig) else "tags"
            items = list(src.registers if isinstance(src, ModbusSourceConfig) else src.tags)
            for j, item in enumerate(items):
                if catalog.sensor(item.tag) is None:
                    path = f"sources[{i}].{key}[{j}].tag"
                    problems.append(
                        f"{where(path)}: unknown tag {item.tag!r}: not a sensor of the vessel "
                        "register (import the register or fix the tag)"
                    )
    if problems:
        raise ConfigError(source, problems)
    return cfg.model_copy(update={"secrets": secrets})


def load_config(
    path: str | Path,
    *,
    catalog: SensorCatalog | None = None,
    env: Mapping[str, str] | None = None,
) -> ConnectorsConfig:
    """Read and validate a connectors.yaml file (tags checked against `catalog` if given)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(p), [f"cannot read the file: {err.strerror}"]) from err
    return parse_config(text, source=str(p), catalog=catalog, env=env, base_dir=p.parent)
