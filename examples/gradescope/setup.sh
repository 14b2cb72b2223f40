#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image. Choose the
# Ubuntu 24.04 base image: symbackprop needs Python 3.11 or later (24.04 has 3.12).
# The autograder zip holds this file, run_autograder, the exercise as exercise.toml and
# symbackprop's source tree (or a wheel) as symbackprop/; Gradescope unpacks it into
# /autograder/source.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip python3-venv
python3 -m venv /opt/symbackprop
/opt/symbackprop/bin/pip install /autograder/source/symbackprop
ln -sf /opt/symbackprop/bin/symbackprop /usr/local/bin/symbackprop
