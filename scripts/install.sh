#!/usr/bin/env bash
# Install Bosun and everything it needs into .venv, offline-safe and without the CUDA traps:
#  - torch is the CPU build and is installed first, then pinned by constraints.txt;
#  - unstructured-inference comes without its heavy deps (timm/torchvision would replace torch);
#  - xgboost is the xgboost-cpu wheel (no NCCL).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bosun: creating .venv"
  "$PY" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
$PIP install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "bosun: installing torch (CPU build)"
  $PIP install --quiet torch==2.13.0
fi
echo "bosun: installing Bosun and its dependencies (a few minutes on first run)"
$PIP install --quiet -c constraints.txt -e ".[dev]"
$PIP install --quiet -c constraints.txt --no-deps unstructured-inference
echo "bosun: installed. Run: .venv/bin/bosun up"
