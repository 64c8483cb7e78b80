#!/bin/bash
# Run one build/test step and print how long it took, as "step NAME: Ns".
#
# usage: step.sh NAME COMMAND [ARGS...]
name=$1; shift
start=$(date +%s)
"$@"
rc=$?
echo "step $name: $(( $(date +%s) - start ))s$([ $rc = 0 ] || echo ", FAILED (exit $rc)")"
exit $rc
