#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The domain commands' command line, natively (no module needed): help,
# virsh's wording for missing arguments and bad options, and the plain
# "module not loaded" failure of every command that needs the module.
set -u
. "$(dirname "$0")/expect.sh"

domain_cmds="console destroy domid domname domuuid resume suspend dominfo domstate"

echo "TAP version 13"
echo "1..35"

expect "--help has virsh's Domain Management group" 0 \
	"^ Domain Management (help keyword 'domain')$" \
	'^    console  *connect to the guest console$' \
	'^    destroy  *destroy (stop) a domain$' \
	'^    suspend  *suspend a domain$' -- --help
expect "--help has virsh's Domain Monitoring group" 0 \
	"^ Domain Monitoring (help keyword 'monitor')$" \
	'^    dominfo  *domain information$' \
	'^    domstate  *domain state$' \
	'^    domstats  *get statistics about one or multiple domains$' \
	'^    list  *list domains$' -- --help
expect "help list shows its options" 0 '^    list - list domains$' \
	'^    list \[--inactive\] \[--all\] \[--uuid\] \[--name\] \[--persistent\] \[--transient\]$' \
	'^    --all  *list inactive & active domains$' -- help list
expect "help dominfo shows the domain argument" 0 \
	'^    dominfo - domain information$' '^    dominfo <domain>$' \
	'^    \[--domain\] <string>  *domain name, id or uuid$' -- help dominfo
expect "help domstate shows --reason" 0 '^    domstate <domain> \[--reason\]$' \
	'^    --reason  *also print reason for the state$' -- help domstate
expect "help console documents --dump as an extension" 0 \
	'^    console <domain> \[--force\] \[--dump\]$' \
	'^    --dump .*(Kestrel extension)$' -- help console
expect "help domstats shows its groups" 0 \
	'^    domstats \[--state\] \[--cpu-total\] \[--vcpu\] \[--interface\] \[--block\] \[--vm\] \[<domain>\]' \
	-- domstats --help
expect "help domid" 0 '^    domid - convert a domain name or UUID to domain id$' -- help domid

for cmd in $domain_cmds; do
	expect "$cmd without a domain" 1 \
		"^error: command '$cmd' requires <domain> option$" -- "$cmd"
done
expect "list --bogus" 1 "^error: command 'list' doesn't support option --bogus$" \
	-- list --bogus
expect "domstate --reason=x" 1 "^error: invalid '=' after option --reason$" \
	-- domstate web --reason=x
expect "dominfo with two domains" 1 "^error: unexpected data 'b'$" -- dominfo a b
expect "domstats with nine domains" 1 "^error: unexpected data 'i'$" \
	-- domstats a b c d e f g h i

if [ -e /sys/module/kestrel ]; then
	while [ $n -lt 35 ]; do
		n=$((n + 1))
		echo "ok $n # SKIP module not loaded: the module is loaded here"
	done
	[ $fails -eq 0 ]
	exit
fi
expect "list: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' \
	'^error: the kestrel module is not loaded' -- list --all
expect_quiet "list: no table when it fails" -- list
for cmd in $domain_cmds; do
	expect "$cmd: module not loaded" 1 \
		'^error: failed to connect to the hypervisor$' \
		'^error: the kestrel module is not loaded' -- "$cmd" web-01
done
expect "console --dump: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' \
	'^error: the kestrel module is not loaded' -- console web-01 --dump
expect "domstats: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' \
	'^error: the kestrel module is not loaded' -- domstats
expect "domstats DOMAIN: module not loaded" 1 \
	'^error: failed to connect to the hypervisor$' -- domstats --state web-01
[ $fails -eq 0 ]
