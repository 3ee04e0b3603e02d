"""Facts are defined once: the channel registry, the deployables and the settings generate the Procfile,
the Prometheus jobs, the configuration reference and the flow diagram. These tests fail when a generated
file is stale or a registry entry points at nothing."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from services.contract.access import API_SECRETS
from services.deployables import DEPLOYABLES, settings_class
from services.ingest.channels import CHANNELS, secret_names
from services.runtime.settings import REPO_ROOT
from tools import generate


@pytest.mark.parametrize("path", sorted(generate.GENERATED))
def test_generated_file_is_current(path: str):
    assert (REPO_ROOT / path).read_text(encoding="utf-8") == generate.GENERATED[path](), (
        f"{path} is stale: run `make generate`"
    )


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_every_channel_is_a_runnable_package_with_its_normaliser(channel):
    assert importlib.util.find_spec(f"{channel.package}.__main__"), f"{channel.package} has no entry point"
    module, _, function = channel.normaliser.partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert channel.package in generate.procfile()


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_every_channel_reads_its_port_and_secrets_from_its_settings(channel):
    fields = {name.upper(): field for name, field in settings_class(channel.package).model_fields.items()}
    assert fields[channel.port_variable].default == channel.http_port
    for extra in channel.extra_ports:
        assert fields[extra.variable].default == extra.default
    required_secrets = {name for name, field in fields.items() if field.is_required()}
    # API tokens are checked when the gRPC server starts (CLIs read the same settings without serving).
    api_tokens = set(fields) & set(API_SECRETS)
    assert required_secrets | api_tokens == set(channel.all_secrets), "the registry's secrets and the settings disagree"


def test_deployable_names_and_ports_are_unique():
    names = [d.name for d in DEPLOYABLES]
    ports = [d.http_port for d in DEPLOYABLES] + [p.default for d in DEPLOYABLES for p in d.extra_ports]
    assert len(set(names)) == len(names)
    assert len(set(ports)) == len(ports)


def test_secret_names_are_listed_once():
    assert len(secret_names()) == len(set(secret_names()))


def test_the_configuration_reference_names_every_variable_once():
    table = generate.configuration_table()
    variables = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert len(variables) == len(set(variables))
    assert "`KAFKA_BOOTSTRAP_SERVERS`" in variables and "`WHATSAPP_PORT`" in variables


def test_markers_replace_only_what_stands_between_them():
    text = "head\n<!-- x:start -->\nold\n<!-- x:end -->\ntail\n"
    assert generate.between_markers(text, "x", "new") == "head\n<!-- x:start -->\nnew\n<!-- x:end -->\ntail\n"
    with pytest.raises(ValueError):
        generate.between_markers("no markers", "x", "new")
