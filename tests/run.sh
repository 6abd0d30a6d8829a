#!/usr/bin/env bash
# Runs the whole test suite on Debian/Ubuntu: system packages, a virtual environment with the
# package and its test models, lint and type checks, then pytest. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/bootstrap.sh

# The dev extra holds the test extra, which builds llama-cpp-python (the built-in model's tests).
install_system_packages "${SYSTEM_PACKAGES[@]}" "${BUILD_PACKAGES[@]}" "${TEST_SYSTEM_PACKAGES[@]}"
make_venv dev

.venv/bin/ruff check desktop_assistant tests
.venv/bin/mypy
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
