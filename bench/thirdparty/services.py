"""Start, query and stop the third-party services that bench/thirdparty/ audits.

Install them first with bench/thirdparty/setup.sh (one virtualenv per service, outside the
repository). Then, with any Python 3.11 (this module needs only the standard library):

    python3 bench/thirdparty/services.py list
    python3 bench/thirdparty/services.py start prefect     # prints base URL, spec, auth option
    python3 bench/thirdparty/services.py stop prefect
    python3 bench/thirdparty/services.py run kinto -- sh -c 'auditor audit "$TP_SPEC" \
        --base-url "$TP_BASE_URL" --header "$TP_AUTH_HEADER"'

Every start is on 127.0.0.1, on a free port, with fresh state (a copy of the pristine state
that setup.sh prepared) in a temporary folder under the service's home; the OpenAPI document
the service serves is downloaded into that folder, openapi.(json|yaml) (or to --spec PATH).
`stop` (and the end of `run` or of the `running()` context) ends the whole process group and
removes the state folder. Runs of the same service can go on side by side (`start` keeps one
per service, in HOME/NAME/running.json). Nothing is written into the repository.

From Python (with bench/thirdparty on sys.path):

    from services import running
    with running("airflow") as svc:
        print(svc.base_url, svc.spec, svc.auth_header)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

HOME = Path(os.environ.get("AUDITOR_THIRDPARTY_HOME") or Path.home() / ".cache" / "auditor-thirdparty")


@dataclass(frozen=True)
class Spec:
    """What one service is and how to run it."""

    name: str
    package: str  # pinned, as setup.sh installs it
    framework: str
    oas: str
    user: str
    password: str
    base_path: str  # the API root under http://127.0.0.1:PORT
    spec_path: str  # where the service serves its document
    spec_ext: str
    health_path: str  # answers 200 once the service is up (no auth needed)


SERVICES = {
    "prefect": Spec(
        name="prefect",
        package="prefect==3.9.1",
        framework="FastAPI (Starlette/uvicorn), SQLite",
        oas="OpenAPI 3.1.0",
        user="admin",
        password="admin-pass",
        base_path="/api",
        spec_path="/api/openapi.json",
        spec_ext="json",
        health_path="/api/health",
    ),
    "airflow": Spec(
        name="airflow",
        package="apache-airflow==2.10.5",
        framework="Flask + connexion 2 (gunicorn), SQLite",
        oas="OpenAPI 3.0.3",
        user="admin",
        password="admin-pass",
        base_path="/api/v1",
        spec_path="/api/v1/openapi.yaml",
        spec_ext="yaml",
        health_path="/health",
    ),
    "kinto": Spec(
        name="kinto",
        package="kinto==26.5.0",
        framework="Pyramid + Cornice (waitress), memory backends",
        oas="Swagger 2.0",
        user="admin",
        password="admin-pass",
        base_path="/v1",
        spec_path="/v1/__api__",
        spec_ext="json",
        health_path="/v1/__heartbeat__",
    ),
}

START_TIMEOUT = 180.0  # seconds: Airflow's first gunicorn worker takes ~15 s on 2 cores
STOP_TIMEOUT = 30.0


@dataclass
class Running:
    """One started service: what a tool needs to audit it."""

    name: str
    package: str
    pid: int  # leader of the service's own process group
    port: int
    base_url: str
    spec: str  # downloaded document
    auth_header: str  # 'Authorization: Basic ...'
    state_dir: str
    log: str

    def stop(self) -> None:
        _stop_group(self.pid)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def describe(self) -> str:
        return (
            f"{self.name} ({self.package}) pid {self.pid}\n"
            f"  base URL : {self.base_url}\n"
            f"  spec     : {self.spec}\n"
            f"  auth     : --header '{self.auth_header}'\n"
            f"  log      : {self.log}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _venv_bin(name: str, tool: str) -> Path:
    path = HOME / name / "venv" / "bin" / tool
    if not path.exists():
        raise SystemExit(f"{name} is not installed: run bench/thirdparty/setup.sh {name}")
    return path


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AIRFLOW", "VIRTUAL_ENV", "PYTHON"))}
    env["DO_NOT_TRACK"] = "1"  # honoured by several libraries' telemetry
    env["NO_COLOR"] = "1"
    # nothing may go further than loopback: no proxy detour
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _command(spec: Spec, state: Path, port: int) -> tuple[list[str], dict[str, str]]:
    env = _base_env()
    if spec.name == "prefect":
        env.update(
            PREFECT_HOME=str(state),
            PREFECT_SERVER_API_AUTH_STRING=f"{spec.user}:{spec.password}",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_UI_ENABLED="false",
            PREFECT_SERVER_LOGGING_LEVEL="INFO",  # INFO: uvicorn's access log, one line a request
            PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{state}/prefect.db",
        )
        # --no-services: no scheduler, late-run marker, event persister... changing the data
        # between two runs behind the tools' backs (and no background CPU)
        cmd = [str(_venv_bin("prefect", "prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--no-ui", "--analytics-off", "--no-services"]
        return cmd, env
    if spec.name == "airflow":
        env.update(
            AIRFLOW_HOME=str(state),
            AIRFLOW__CORE__LOAD_EXAMPLES="True",
            AIRFLOW__CORE__DAGS_FOLDER=str(state / "dags"),
            AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(state / "logs"),
            AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY=str(state / "logs" / "scheduler"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{state}/airflow.db",
            AIRFLOW__API__AUTH_BACKENDS="airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session",
            AIRFLOW__WEBSERVER__SECRET_KEY="thirdparty-bench-not-secret",
            AIRFLOW__WEBSERVER__WORKERS="1",
            AIRFLOW__WEBSERVER__WEB_SERVER_HOST="127.0.0.1",
            AIRFLOW__WEBSERVER__WEB_SERVER_PORT=str(port),
            # gunicorn would put a control socket in ~/.gunicorn
            GUNICORN_CMD_ARGS="--no-control-socket",
        )
        cmd = [str(_venv_bin("airflow", "airflow")), "webserver", "-H", "127.0.0.1", "-p", str(port), "-w", "1"]
        cmd += ["-A", "-", "--pid", str(state / "webserver.pid")]
        return cmd, env
    if spec.name == "kinto":
        ini = state / "kinto.ini"
        ini.write_text(KINTO_INI.format(port=port))
        return [str(_venv_bin("kinto", "kinto")), "start", "--ini", str(ini), "--port", str(port)], env
    raise SystemExit(f"unknown service {spec.name}")


# Memory backends, HTTP Basic auth: the `basicauth` policy takes any user:password (the user id
# is an HMAC of both), the accounts plugin is there too (its endpoints are part of the API).
# The secrets are fixed on purpose: a local, throw-away bench service.
KINTO_INI = """\
[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}

[app:main]
use = egg:kinto
kinto.includes = kinto.plugins.default_bucket
                 kinto.plugins.accounts
                 kinto.plugins.history
kinto.storage_backend = kinto.core.storage.memory
kinto.storage_url =
kinto.cache_backend = kinto.core.cache.memory
kinto.cache_url =
kinto.permission_backend = kinto.core.permission.memory
kinto.permission_url =
kinto.userid_hmac_secret = thirdparty-bench-not-secret-userid
kinto.default_bucket_hmac_secret = thirdparty-bench-not-secret-bucket
multiauth.policies = account basicauth
multiauth.policy.account.use = kinto.plugins.accounts.AccountsPolicy
kinto.account_create_principals = system.Everyone
kinto.account_write_principals = account:admin
kinto.bucket_create_principals = system.Authenticated

[loggers]
keys = root, kinto, summary

[logger_summary]
level = INFO
handlers = console
qualname = request.summary
propagate = 0

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = console

[logger_kinto]
level = WARNING
handlers = console
qualname = kinto
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = plain

[formatter_plain]
format = %(asctime)s %(levelname)s %(name)s %(message)s
"""


def _get(url: str, auth: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", auth)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(pgid: int) -> None:
    """SIGTERM the service's process group, SIGKILL what is left after STOP_TIMEOUT."""
    if not _alive(pgid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pgid, os.WNOHANG)  # reap our own child (the leader) if it is ours
        if not _alive(pgid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, 0)


def start(name: str, spec_out: str | None = None, port: int | None = None, log: str | None = None) -> Running:
    """Start NAME with fresh state, wait until it answers, download its document."""
    spec = SERVICES[name]
    home = HOME / name
    template = home / "template"
    if not template.is_dir():
        raise SystemExit(f"{name} is not set up: run bench/thirdparty/setup.sh {name}")
    port = port or free_port()
    state = Path(tempfile.mkdtemp(prefix="run-", dir=home))
    shutil.copytree(template, state, dirs_exist_ok=True)
    log_path = Path(log) if log else state / "service.log"
    cmd, env = _command(spec, state, port)
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=state, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    root = f"http://127.0.0.1:{port}"
    auth = "Basic " + base64.b64encode(f"{spec.user}:{spec.password}".encode()).decode()
    run = Running(
        name=name,
        package=spec.package,
        pid=proc.pid,
        port=port,
        base_url=root + spec.base_path,
        spec=str(Path(spec_out) if spec_out else state / f"openapi.{spec.spec_ext}"),
        auth_header=f"Authorization: {auth}",
        state_dir=str(state),
        log=str(log_path),
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited ({proc.returncode}) while starting; log: {log_path}")
            with contextlib.suppress(OSError):
                if _get(root + spec.health_path, timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer within {START_TIMEOUT:.0f} s; log: {log_path}")
            time.sleep(0.5)
        status, body = _get(root + spec.spec_path, auth=auth, timeout=30)
        if status != 200:
            raise SystemExit(f"{name}: GET {spec.spec_path} answered {status}")
        Path(run.spec).parent.mkdir(parents=True, exist_ok=True)
        Path(run.spec).write_bytes(body)
    except BaseException:
        run.stop()
        raise
    return run


@contextlib.contextmanager
def running(name: str, spec_out: str | None = None, log: str | None = None) -> Iterator[Running]:
    run = start(name, spec_out=spec_out, log=log)
    try:
        yield run
    finally:
        run.stop()


def stop(name: str) -> bool:
    path = HOME / name / "running.json"
    if not path.exists():
        return False
    Running(**json.loads(path.read_text())).stop()
    path.unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the services, versions and install state")
    p = sub.add_parser("start", help="start one in the background and print how to audit it")
    p.add_argument("name", choices=SERVICES)
    p.add_argument("--spec", help="where to write the downloaded document")
    p.add_argument("--log", help="service log file (default: in its state folder)")
    p = sub.add_parser("stop", help="stop one started with `start`")
    p.add_argument("name", choices=SERVICES)
    p = sub.add_parser("run", help="start one, run the command after `--` (TP_BASE_URL, TP_SPEC, TP_AUTH_HEADER set), stop it")
    p.add_argument("name", choices=SERVICES)
    p.add_argument("--spec", help="where to write the downloaded document")
    p.add_argument("--log", help="service log file (default: in its state folder, removed at stop)")
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)

    if args.cmd == "list":
        for s in SERVICES.values():
            installed = (HOME / s.name / ".installed").exists()
            up = (HOME / s.name / "running.json").exists()
            print(f"{s.name:8} {s.package:24} {s.oas:14} {s.framework}  [{'installed' if installed else 'not installed'}{', running' if up else ''}]")
        return 0
    if args.cmd == "start":
        if (HOME / args.name / "running.json").exists():
            raise SystemExit(f"{args.name} already runs: `stop {args.name}` first")
        run = start(args.name, spec_out=args.spec, log=args.log)
        (HOME / args.name / "running.json").write_text(json.dumps(asdict(run), indent=2))
        print(run.describe())
        print(f"  stop     : python3 {Path(__file__).as_posix()} stop {args.name}")
        return 0
    if args.cmd == "stop":
        print(f"{args.name}: {'stopped' if stop(args.name) else 'was not running'}")
        return 0
    with running(args.name, spec_out=args.spec, log=args.log) as run:
        print(run.describe(), file=sys.stderr, flush=True)
        if not command:
            return 0
        env = dict(os.environ, TP_BASE_URL=run.base_url, TP_SPEC=run.spec, TP_AUTH_HEADER=run.auth_header)
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
