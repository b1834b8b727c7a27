#!/usr/bin/env bash
# Install the third-party services that bench/thirdparty/ audits, each in its own virtualenv
# OUTSIDE the repository, at a pinned version (constraints-NAME.txt is the full lock, made with
# `pip freeze` on Python 3.11), and prepare each one's pristine state:
#
#   bench/thirdparty/setup.sh              # all of them
#   bench/thirdparty/setup.sh kinto        # one (prefect, airflow, kinto)
#
# Home: ${AUDITOR_THIRDPARTY_HOME:-$HOME/.cache/auditor-thirdparty}/NAME/{venv,template}
# A stamp (hash of the lock) makes a second run a no-op; delete NAME/ to start over.
# Needs only python3.11 and pip with a registry; no other network access, nothing written here.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
HOME_DIR=${AUDITOR_THIRDPARTY_HOME:-$HOME/.cache/auditor-thirdparty}
PY=${PYTHON:-python3}
PIP_FLAGS=(--quiet --disable-pip-version-check --no-input)

declare -A PACKAGE=(
  [prefect]="prefect==3.9.1"
  [airflow]="apache-airflow==2.10.5"
  [kinto]="kinto==26.5.0"
)

install() {
  local name=$1 dir=$HOME_DIR/$1
  local lock=$HERE/constraints-$name.txt
  local want
  want=$( (echo "${PACKAGE[$name]}"; cat "$lock") | sha256sum | cut -d' ' -f1)
  if [[ -f $dir/.installed && $(cat "$dir/.installed") == "$want" ]]; then
    echo "$name: up to date ($dir)"
    return
  fi
  echo "$name: installing ${PACKAGE[$name]} into $dir/venv"
  rm -rf "$dir/venv" "$dir/template"
  mkdir -p "$dir"
  "$PY" -m venv "$dir/venv"
  "$dir/venv/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade "pip>=24" 2>&1 | grep -v '^WARNING: Location' || true
  PYTHONWARNINGS=ignore "$dir/venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -c "$lock" "${PACKAGE[$name]}" \
    2> >(grep -v '^WARNING: Location' >&2)
  prepare_"$name" "$dir"
  echo "$want" > "$dir/.installed"
  echo "$name: ready"
}

# the environment every command of a service runs with: offline, quiet, no telemetry
prefect_env() {
  export PREFECT_HOME=$1 DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_UI_ENABLED=false PREFECT_SERVER_UI_ENABLED=false PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY=false
}
airflow_env() {
  export AIRFLOW_HOME=$1 AIRFLOW__CORE__LOAD_EXAMPLES=True AIRFLOW__CORE__UNIT_TEST_MODE=False \
    AIRFLOW__CORE__DAGS_FOLDER=$1/dags AIRFLOW__LOGGING__BASE_LOG_FOLDER=$1/logs \
    AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY=$1/logs/scheduler \
    AIRFLOW__API__AUTH_BACKENDS=airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session
}

prepare_prefect() {
  # the SQLite database, migrated once; each start copies it
  local t=$1/template
  mkdir -p "$t"
  ( prefect_env "$t"; cd "$t" && "$1/venv/bin/prefect" server database upgrade -y >/dev/null )
  rm -f "$t"/*.toml
}

prepare_airflow() {
  # migrated SQLite database, the example DAGs serialized into it (so list/get endpoints have
  # data without a scheduler), and the user admin/admin-pass with role Admin
  local t=$1/template
  mkdir -p "$t/dags"
  (
    airflow_env "$t"; cd "$t"
    "$1/venv/bin/airflow" db migrate >/dev/null 2>&1
    "$1/venv/bin/airflow" dags reserialize >/dev/null 2>&1
    "$1/venv/bin/airflow" users create -u admin -p admin-pass -r Admin -f Admin -l User \
      -e admin@example.org >/dev/null 2>&1
  )
  rm -rf "$t/logs" "$t/airflow.cfg" "$t/webserver_config.py"
}

prepare_kinto() {
  # memory backends: nothing to prepare (services.py writes the .ini at each start)
  mkdir -p "$1/template"
}

names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=(prefect airflow kinto)
for n in "${names[@]}"; do
  [[ -n ${PACKAGE[$n]:-} ]] || { echo "unknown service: $n (prefect, airflow, kinto)" >&2; exit 2; }
  install "$n"
done
