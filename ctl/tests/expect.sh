# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the controller's native tests (sourced, not run):
# $kestrel is the controller next to this directory; expect and
# expect_quiet print one TAP line each and count failures in $fails.
kestrel=$(cd "$(dirname "$0")/.." && pwd)/kestrel
n=0
fails=0

# expect NAME STATUS PATTERN... -- ARGS...: run kestrel ARGS, want exit
# STATUS and, for each grep pattern, a line of the combined output matching
# it, in that order.
expect() {
	name=$1 want=$2
	shift 2
	patterns=
	while [ "$1" != "--" ]; do
		patterns="$patterns$1
"
		shift
	done
	shift
	out=$("$kestrel" "$@" 2>&1)
	got=$?
	n=$((n + 1))
	ok=1
	[ "$got" -eq "$want" ] || ok=0
	rest=$out
	while IFS= read -r pattern; do
		[ -n "$pattern" ] || continue
		line=$(printf '%s\n' "$rest" | grep -n -m1 -- "$pattern" | cut -d: -f1)
		if [ -z "$line" ]; then
			ok=0
			break
		fi
		rest=$(printf '%s\n' "$rest" | tail -n +"$((line + 1))")
	done <<EOF
$patterns
EOF
	if [ $ok -eq 1 ]; then
		echo "ok $n $name"
	else
		fails=$((fails + 1))
		echo "not ok $n $name"
		echo "# exit $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

# expect_quiet NAME -- ARGS...: nothing at all on stdout (errors only).
expect_quiet() {
	name=$1
	shift 2
	out=$("$kestrel" "$@" 2>/dev/null)
	n=$((n + 1))
	if [ -z "$out" ]; then
		echo "ok $n $name"
	else
		fails=$((fails + 1))
		echo "not ok $n $name"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

