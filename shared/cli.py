"""``aftersales`` — the operations command line.

    aftersales token advisor.bj01            print a bearer token for a demo user
    aftersales dlq list [--service parts]    dead letters of one or all services
    aftersales dlq redrive ID --service parts
    aftersales outbox                        outbox backlog and dead letters per service
    aftersales topics [--partitions 6 --replication-factor 3]   create every topic and its .dlq
    aftersales migrate parts                 bring a service's database to the newest schema
    aftersales replay order.created --service workshop [--from-offset N --partition P]
                                             feed a topic into a service again (inbox skips
                                             what it already handled: use after a restore)
    aftersales rebuild warranty              empty a service's read models and replay their
                                             topics from the start (no event raised again)
    aftersales acls                          kafka-acls.sh commands: each service's principal
                                             may read what it consumes, write what it publishes
    aftersales issue-token --user li.na --name 李娜 --role service_advisor --stations bj01
                                             a token for any user (signed with AUTH_SECRET)
    aftersales revision reception "message"  autogenerate a migration for a service

Service URLs default to the embedded ports; ``--url`` or ``<SERVICE>_URL`` override them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from shared.auth import Role, issue_token
from shared.demo import USERS
from shared.settings import ServiceSettings

SERVICES = {"reception": 8001, "workshop": 8002, "parts": 8003, "warranty": 8004, "crm": 8005}


def service_url(name: str, override: str | None = None) -> str:
    return override or os.environ.get(f"{name.upper()}_URL") or f"http://127.0.0.1:{SERVICES[name]}"


def token_for(username: str) -> str:
    user = USERS.get(username)
    if user is None:
        raise SystemExit(f"unknown demo user {username!r}; one of: {', '.join(sorted(USERS))}")
    return issue_token(
        ServiceSettings().auth_secret,
        user_id=user.username,
        name=user.name,
        role=user.role,
        stations=user.stations,
        all_stations=user.all_stations,
    )


def _client() -> httpx.Client:
    return httpx.Client(headers={"Authorization": f"Bearer {token_for('ops')}"}, timeout=30)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_dlq(args: argparse.Namespace) -> int:
    names = [args.service] if args.service else list(SERVICES)
    with _client() as client:
        if args.action == "list":
            rows = []
            for name in names:
                response = client.get(
                    f"{service_url(name, args.url)}/admin/dead-letters",
                    params={"include_redriven": args.all},
                )
                response.raise_for_status()
                rows += [{"service": name, **row} for row in response.json()]
            _print(rows)
            return 0
        if not args.service or not args.id:
            raise SystemExit("redrive needs --service and the dead letter ID")
        response = client.post(
            f"{service_url(args.service, args.url)}/admin/dead-letters/{args.id}/redrive"
        )
        _print(response.json())
        return 0 if response.is_success else 1


def cmd_outbox(args: argparse.Namespace) -> int:
    with _client() as client:
        rows = []
        for name in [args.service] if args.service else list(SERVICES):
            try:
                rows.append(client.get(f"{service_url(name, args.url)}/admin/outbox").json())
            except httpx.HTTPError as exc:
                rows.append({"service": name, "error": str(exc)})
        _print(rows)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from shared.contracts.topics import all_topics_with_dlq
    from shared.messaging import ensure_topics

    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    asyncio.run(
        ensure_topics(
            servers,
            all_topics_with_dlq(),
            partitions=args.partitions,
            replication_factor=args.replication_factor,
        )
    )
    print(f"topics ready on {servers}")
    return 0


def _definition(service: str) -> Any:
    return importlib.import_module(f"services.{service}.app").definition


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared.db import Database, create_engine, migrate
    from shared.settings import load_settings
    from shared.tables import PlatformTable

    definition = _definition(args.service)
    settings = load_settings(definition.name, definition.port)

    async def run() -> None:
        db = Database(create_engine(settings.resolved_database_url()))
        try:
            await migrate(
                db, [definition.migrations], [PlatformTable.metadata, definition.metadata]
            )
        finally:
            await db.dispose()

    asyncio.run(run())
    print(f"{args.service}: database at the newest schema")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Read a topic from an offset and hand every message to the service's consumer."""
    outcomes = _replay(
        args.service,
        args.topic,
        service_url(args.service, args.url),
        from_offset=args.from_offset,
        partition=args.partition,
        rebuilding=False,
    )
    _print({"service": args.service, "topic": args.topic, "outcomes": outcomes})
    return 0


def _replay(
    service: str,
    topic: str,
    base_url: str,
    *,
    from_offset: int | None,
    partition: int | None,
    rebuilding: bool,
) -> dict[str, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from shared.messaging import admin_security

    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    url = f"{base_url}/admin/replay"
    outcomes: dict[str, int] = {}

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=servers,
            enable_auto_commit=False,
            group_id=None,
            **admin_security(),
        )
        await consumer.start()
        try:
            partitions = sorted(consumer.partitions_for_topic(topic) or [])
            if partition is not None:
                partitions = [partition]
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                if from_offset is None:
                    await consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, from_offset)
            async with httpx.AsyncClient(
                headers={"Authorization": f"Bearer {token_for('ops')}"}, timeout=30
            ) as client:

                async def behind() -> bool:
                    return any([await consumer.position(tp) < ends[tp] for tp in tps])

                while await behind():
                    batch = await consumer.getmany(*tps, timeout_ms=1000)
                    for records in batch.values():
                        for record in records:
                            response = await client.post(
                                url,
                                params={
                                    "topic": record.topic,
                                    "partition": record.partition,
                                    "offset": record.offset,
                                },
                                content=record.value or b"",
                            )
                            response.raise_for_status()
                            outcome = response.json()["outcome"]
                            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            await consumer.stop()

    asyncio.run(run())
    return outcomes


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Empty a service's read models, then replay their topics from the start, silently."""
    url = service_url(args.service, args.url)
    with _client() as client:
        response = client.post(f"{url}/admin/read-models/reset")
        if not response.is_success:
            print(response.text, file=sys.stderr)
            return 1
        reset = response.json()
    results = {}
    for topic in reset["topics"]:
        results[topic] = _replay(
            args.service, topic, url, from_offset=None, partition=None, rebuilding=True
        )
    _print({"service": args.service, "deleted": reset["deleted"], "replayed": results})
    return 0


def cmd_acls(args: argparse.Namespace) -> int:
    """Least privilege: each service reads what it consumes and writes what it publishes."""
    from shared.contracts.topics import dlq

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    lines = [
        "#!/usr/bin/env sh",
        "# generated by `aftersales acls`; run against the cluster",
        "set -eu",
        f'ACLS="kafka-acls.sh --bootstrap-server {bootstrap} '
        '--command-config ${ADMIN_CONFIG:-admin.properties}"',
    ]
    for name in SERVICES:
        definition = _definition(name)
        principal = f"User:{name}"
        consumes = definition.consumer.topics
        publishes = sorted(
            {p.event_type for p in definition.publishes} | {dlq(t) for t in consumes}
        )
        lines.append(f"# {name}")
        lines.append(f"$ACLS --add --allow-principal {principal} --operation Read --group {name}")
        for topic in consumes:
            lines.append(
                f"$ACLS --add --allow-principal {principal} --operation Read "
                f"--operation Describe --topic {topic}"
            )
        for topic in publishes:
            lines.append(
                f"$ACLS --add --allow-principal {principal} --operation Write "
                f"--operation Describe --topic {topic}"
            )
    print("\n".join(lines))
    return 0


def cmd_issue_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    print(
        issue_token(
            ServiceSettings().auth_secret,
            user_id=args.user,
            name=args.name or args.user,
            role=args.role,
            stations=[s for s in (args.stations or "").split(",") if s],
            all_stations=args.all_stations,
            ttl=timedelta(hours=args.ttl_hours),
        )
    )
    return 0


def cmd_revision(args: argparse.Namespace) -> int:
    """Autogenerate a migration: diff the service's models against its migrated schema."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from shared.db import alembic_config
    from shared.tables import PlatformTable

    module = importlib.import_module(f"services.{args.service}.app")
    definition = module.definition
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'rev.db'}")
        cfg = alembic_config([definition.migrations], [PlatformTable.metadata, definition.metadata])
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")
            script = ScriptDirectory.from_config(cfg)
            heads = [h for h in script.get_heads() if h.startswith(args.service)]
            number = 1 + sum(
                1 for rev in script.walk_revisions() if rev.revision.startswith(args.service)
            )
            command.revision(
                cfg,
                message=args.message,
                autogenerate=True,
                rev_id=f"{args.service}_{number:04d}",
                head=heads[0] if heads else "platform@head",
                branch_label=None if heads else args.service,
                version_path=str(definition.migrations),
                depends_on=None if heads else "platform_0001",
            )
    # keep generated migrations lint-clean
    import subprocess

    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        subprocess.run([str(ruff), "format", "-q", str(definition.migrations)], check=False)
        subprocess.run([str(ruff), "check", "--fix", "-q", str(definition.migrations)], check=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="aftersales", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="print a bearer token for a demo user")
    token.add_argument("username")

    dlq = sub.add_parser("dlq", help="list or re-drive dead letters")
    dlq.add_argument("action", choices=["list", "redrive"])
    dlq.add_argument("id", nargs="?")
    dlq.add_argument("--service", choices=list(SERVICES))
    dlq.add_argument("--url")
    dlq.add_argument("--all", action="store_true", help="include re-driven letters")

    outbox = sub.add_parser("outbox", help="outbox backlog per service")
    outbox.add_argument("--service", choices=list(SERVICES))
    outbox.add_argument("--url")

    topics = sub.add_parser("topics", help="create every topic and its .dlq")
    topics.add_argument("--partitions", type=int, default=6)
    topics.add_argument("--replication-factor", type=int, default=1)

    migrate = sub.add_parser("migrate", help="run a service's database migrations")
    migrate.add_argument("service", choices=list(SERVICES))

    replay = sub.add_parser("replay", help="feed a topic into a service again")
    replay.add_argument("topic")
    replay.add_argument("--service", choices=list(SERVICES), required=True)
    replay.add_argument("--from-offset", type=int)
    replay.add_argument("--partition", type=int)
    replay.add_argument("--url")

    rebuild = sub.add_parser("rebuild", help="rebuild a service's read models from the topics")
    rebuild.add_argument("service", choices=list(SERVICES))
    rebuild.add_argument("--url")

    sub.add_parser("acls", help="print the Kafka ACLs of every service")

    issue = sub.add_parser("issue-token", help="a token for any user")
    issue.add_argument("--user", required=True)
    issue.add_argument("--name")
    issue.add_argument("--role", required=True, choices=[r.value for r in Role])
    issue.add_argument("--stations", help="comma separated station ids")
    issue.add_argument("--all-stations", action="store_true")
    issue.add_argument("--ttl-hours", type=float, default=12)

    revision = sub.add_parser("revision", help="autogenerate a migration for a service")
    revision.add_argument("service", choices=list(SERVICES))
    revision.add_argument("message")

    args = parser.parse_args(argv)
    if args.command == "token":
        print(token_for(args.username))
        return 0
    handlers = {
        "dlq": cmd_dlq,
        "outbox": cmd_outbox,
        "topics": cmd_topics,
        "revision": cmd_revision,
        "migrate": cmd_migrate,
        "replay": cmd_replay,
        "rebuild": cmd_rebuild,
        "acls": cmd_acls,
        "issue-token": cmd_issue_token,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
