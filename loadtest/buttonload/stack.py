"""The stack's addresses, read from the file scripts/stack writes, and the loopback rule."""

import ipaddress
import os
import urllib.parse

KEYS = ("APP_URL", "KAFKA_BOOTSTRAP", "PG_DSN", "CLICKHOUSE_URL", "SCHEMA_REGISTRY_URL")


class StackError(Exception):
    """The stack's file is missing or names something the load test refuses."""


def default_env_file(root):
    """$BUTTON_STACK_ENV, else .run/stack.env under the repository."""
    return os.environ.get("BUTTON_STACK_ENV") or os.path.join(root, ".run", "stack.env")


def read_stack_env(path):
    """The KEY=value lines of the stack's file (no shell is involved: values are literal)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise StackError(
            f"cannot read the stack's addresses from {path} ({error.strerror}); "
            "start the stack with scripts/stack up, or name its file with BUTTON_STACK_ENV"
        ) from None
    values = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    missing = [key for key in KEYS if not values.get(key)]
    if missing:
        raise StackError(f"{path} does not name {', '.join(missing)}: is the whole stack up?")
    return values


def require_loopback(url, name="APP_URL"):
    """Refuses a URL whose host is not this machine: the load test never loads anyone else."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host:
        raise StackError(f"{name} is not an http(s) URL: {url!r}")
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise StackError(f"{name} must be a loopback address (127.0.0.0/8, ::1 or localhost), not the host {host!r}") from None
    if not address.is_loopback:
        raise StackError(f"{name} must be a loopback address (127.0.0.0/8, ::1 or localhost), not {host}")


def postgres_environment(dsn):
    """libpq's environment variables for a DSN, so the password never shows in a command line."""
    env = {}
    if dsn.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(dsn)
        mapping = {
            "PGHOST": parts.hostname,
            "PGPORT": str(parts.port) if parts.port else None,
            "PGUSER": urllib.parse.unquote(parts.username) if parts.username else None,
            "PGPASSWORD": urllib.parse.unquote(parts.password) if parts.password else None,
            "PGDATABASE": urllib.parse.unquote(parts.path.lstrip("/")) or None,
        }
        for key, value in urllib.parse.parse_qsl(parts.query):
            if key == "sslmode":
                mapping["PGSSLMODE"] = value
        env.update({key: value for key, value in mapping.items() if value})
    else:
        names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
                 "dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}
        for pair in dsn.split():
            if "=" in pair:
                key, value = pair.split("=", 1)
                if key in names:
                    env[names[key]] = value.strip("'")
    return env


def require_no_rate_limit(stack):
    """Refuses a stack whose nginx limits each client address: a load test from this machine
    comes from a few addresses and would mostly be answered 429 (README, "Rate limits")."""
    if stack.get("RATE_LIMIT") == "on":
        raise StackError("the stack limits each client address (RATE_LIMIT=on); use the load-test profile: "
                         "BUTTON_RATE_LIMIT=off scripts/stack restart nginx")
