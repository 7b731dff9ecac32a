#!/usr/bin/env bash
# Full training run of the shipped maze model (cpu preset), logged to training/maze/.
cd "$(dirname "$0")/../.."
exec .venv/bin/trm-hub train plugin=maze preset=cpu model_name=maze "$@"
