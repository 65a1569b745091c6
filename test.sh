#!/bin/bash
# ./test.sh - installs dependencies, builds sfnic (normal, ASan+UBSan, fuzz)
# and runs every test.  The last line is "N passed, N failed".
set -e
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" SAN=1 >/dev/null
make -j"$(nproc)" fuzz >/dev/null
set +e
tests/run.sh
