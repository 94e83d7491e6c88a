#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The device commands' command line, natively (no module needed): help,
# virsh's wording for missing arguments and bad options, and the
# "module not loaded" failure.  The output formats against a running
# domain are checked by selftests/devstats_test.sh.
set -u
. "$(dirname "$0")/expect.sh"

echo "TAP version 13"
echo "1..23"

expect "--help lists the device verbs under Domain Monitoring" 0 \
	"^ Domain Monitoring (help keyword 'monitor')$" \
	'^    domblklist  *list all domain blocks$' \
	'^    domblkstat  *get device block stats for a domain$' \
	'^    domiflist  *list all domain virtual interfaces$' \
	'^    domifstat  *get network interface stats for a domain$' \
	'^    dominfo  *domain information$' -- --help
expect "help domblklist" 0 \
	'^    domblklist <domain> \[--inactive\] \[--details\]$' \
	'^    --details  *additionally display the type and device value$' \
	-- help domblklist
expect "help domiflist" 0 '^    domiflist <domain> \[--inactive\]$' -- help domiflist
expect "help domblkstat: the device is optional" 0 \
	'^    domblkstat <domain> \[<device>\] \[--human\]$' -- help domblkstat
expect "help domifstat" 0 '^    domifstat <domain> <interface>$' -- help domifstat
expect "help domstats has --interface and --block" 0 \
	'^    domstats \[--state\] \[--cpu-total\] \[--vcpu\] \[--interface\] \[--block\] \[--vm\] \[<domain>\]' \
	-- help domstats

for cmd in domblklist domiflist domblkstat domifstat; do
	expect "$cmd without a domain" 1 \
		"^error: command '$cmd' requires <domain> option$" -- "$cmd"
done
expect "domifstat without an interface" 1 \
	"^error: command 'domifstat' requires <interface> option$" -- domifstat web
expect "--help lists domif-setlink and domif-getlink" 0 \
	'^    domif-getlink  *get link state of a virtual interface$' \
	'^    domif-setlink  *set link state of a virtual interface$' -- --help
expect "help domif-setlink" 0 \
	'^    domif-setlink <domain> <interface> <state> \[--config\]$' \
	-- help domif-setlink
expect "domif-setlink refuses a state other than up or down" 1 \
	"^error: invalid link state 'sideways'$" -- domif-setlink web ktap0 sideways
expect "domif-getlink without an interface" 1 \
	"^error: command 'domif-getlink' requires <interface> option$" -- domif-getlink web
expect "domblklist --bogus" 1 \
	"^error: command 'domblklist' doesn't support option --bogus$" \
	-- domblklist web --bogus
expect "domblkstat with too many arguments" 1 "^error: unexpected data 'x'$" \
	-- domblkstat web vda x

if [ -e /sys/module/kestrel ]; then
	while [ $n -lt 23 ]; do
		n=$((n + 1))
		echo "ok $n # SKIP module not loaded: the module is loaded here"
	done
	[ $fails -eq 0 ]
	exit
fi
for cmd in domblklist domiflist domblkstat; do
	expect "$cmd: module not loaded" 1 \
		'^error: failed to connect to the hypervisor$' \
		'^error: the kestrel module is not loaded' -- "$cmd" web
done
expect "domifstat: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' \
	'^error: the kestrel module is not loaded' -- domifstat web ktap0
expect "domstats --block: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' -- domstats --block web
expect_quiet "domblklist: no table when it fails" -- domblklist web
[ $fails -eq 0 ]
