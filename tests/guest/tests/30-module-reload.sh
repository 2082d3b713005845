#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unloading rstkey unbinds the device and removes its debugfs report;
# loading it again binds it again with the same report. Three cycles leave
# no kernel warning and no kmemleak report.
. /usr/share/rstkey/lib.sh

CYCLES=3
ktap_plan $((CYCLES * 4 + 2))

if ! grep -q '^rstkey ' /proc/modules; then
	i=0
	while [ $i -lt $((CYCLES * 4 + 2)) ]; do
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
	after=$(cat "$report" 2>/dev/null)
	ktap_check "cycle${c}_rebound_same_report" sh -c "[ \"\$(basename \"\$(readlink $dev/driver)\")\" = rstkey ] && [ -n \"\$1\" ] && [ \"\$1\" = \"\$2\" ]" _ "$before" "$after"
	c=$((c + 1))
done

warnings=$(dmesg | sed -n '/rstkey-test: module reload start/,$p' | grep -E 'WARNING|BUG|Oops|Call Trace' | head -5)
[ -n "$warnings" ] && ktap_diag "$warnings"
ktap_check "no_kernel_warnings" test -z "$warnings"

if [ -w $kml ]; then
	# kmemleak reports objects that stayed unreferenced for 5 s over two scans.
	sleep 6
	echo scan > $kml
	echo scan > $kml
	leaks=$(cat $kml)
	[ -n "$leaks" ] && echo "$leaks" | head -40 | sed 's/^/# /'
	ktap_check "no_kmemleak_reports" test -z "$leaks"
else
	ktap_skip "no_kmemleak_reports" "kmemleak not available"
fi

ktap_done
