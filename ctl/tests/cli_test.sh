#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The controller's command line, natively (no module needed): virsh's
# wording and exit codes for help, bad commands and bad options.
set -u
kestrel=$(cd "$(dirname "$0")/.." && pwd)/kestrel
n=0
fails=0

# expect NAME STATUS PATTERN -- ARGS...: run kestrel ARGS, want exit STATUS
# and a line of its combined output matching the grep pattern PATTERN.
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	out=$("$kestrel" "$@" 2>&1)
	got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ] && printf '%s\n' "$out" | grep -q -- "$pattern"; then
		echo "ok $n $name"
	else
		fails=$((fails + 1))
		echo "not ok $n $name"
		echo "# exit $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

echo "TAP version 13"
echo "1..11"
expect "--help lists the commands" 0 '^    nodeinfo  *node information$' -- --help
expect "no arguments prints usage" 0 '^kestrel \[options\]' --
expect "--version prints the version" 0 '^[0-9][0-9.]*$' -- --version
expect "help COMMAND shows its synopsis" 0 '^    nodeinfo - node information$' -- help nodeinfo
expect "COMMAND --help shows its synopsis" 0 '^    capabilities - capabilities$' -- capabilities --help
expect "help of an unknown command" 1 "^error: command or command group 'bogus' doesn't exist$" -- help bogus
expect "unknown command" 1 "^error: unknown command: 'bogus'$" -- bogus
expect "unknown command option" 1 "^error: command 'version' doesn't support option --bogus$" -- version --bogus
expect "unknown global option" 1 "^error: unsupported option '-x'. See --help.$" -- -x
expect "unexpected argument" 1 "^error: unexpected data 'extra'$" -- nodeinfo extra
if [ -e /sys/module/kestrel ]; then
	n=$((n + 1))
	echo "ok $n # SKIP module not loaded message: the module is loaded here"
else
	expect "module not loaded is said plainly" 1 \
		"^error: the kestrel module is not loaded" -- nodeinfo
fi
[ $fails -eq 0 ]
