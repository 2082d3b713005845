#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unloading rstkey unbinds the device and removes its debugfs report;
# loading it again binds it again with the same report, and once modprobe
# returns every algorithm has passed its self-test (registering waits for
# it). Three cycles leave no kernel warning and no kmemleak report.
. /usr/share/rstkey/lib.sh

CYCLES=3
ktap_plan $((CYCLES * 5 + 2))

if ! grep -q '^rstkey ' /proc/modules; then
	i=0
	while [ $i -lt $((CYCLES * 5 + 2)) ]; do
		ktap_skip "reload_$i" "rstkey is built in"
		i=$((i + 1))
	done
	exit 0
fi

dev=$(/usr/share/rstkey/find-crypto-dev)
name=$(basename "$dev")
report=/sys/kernel/debug/rstkey/$name/capabilities
before=$(cat "$report" 2>/dev/null)

kml=/sys/kernel/debug/kmemleak
if [ -w $kml ]; then
	echo scan > $kml
	echo clear > $kml
fi
echo "rstkey-test: module reload start" > /dev/kmsg

c=1
while [ $c -le $CYCLES ]; do
	ktap_check "cycle${c}_rmmod" rmmod rstkey
	ktap_check "cycle${c}_unbound" sh -c "[ ! -e $dev/driver ] && [ ! -e /sys/kernel/debug/rstkey/$name ]"
	ktap_check "cycle${c}_modprobe" modprobe rstkey
	ktap_check "cycle${c}_selftests_passed" rstkey_selftests_passed $RSTKEY_ALGS
	after=$(cat "$report" 2>/dev/null)
	ktap_check "cycle${c}_rebound_same_report" sh -c "[ \"\$(basename \"\$(readlink $dev/driver)\")\" = rstkey ] && [ -n \"\$1\" ] && [ \"\$1\" = \"\$2\" ]" _ "$before" "$after"
	c=$((c + 1))
done

ktap_no_warnings "rstkey-test: module reload start"

ktap_kmemleak

ktap_done
