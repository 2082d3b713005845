#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Device removal under load, then a soak.
#
# Load: four processes (cipher-load), pinned to the vCPUs in turn, run
# cipher rounds through the module's debugfs file `load` (64 requests of 4 KiB at once
# from a new transformation each round, every result compared with the
# generic cbc-aes-lib, see drivers/crypto/rstkey/test/load.rs), and two
# fault-load processes run cipher requests through the device's `crypto`
# file, the keyring's RSA operations and key imports, and one of them the
# secure world's commands (no failure injected here).
#
# Removal: while the load runs, the device is unbound from rstkey and bound
# again through sysfs $RSTKEY_REMOVAL_CYCLES times (default 4). Every round
# and operation ends, with the right result or an error; rounds fail while
# the device is away and succeed again once it is back.
#
# Hot-unplug: while the load runs, QEMU removes the device from its PCI slot
# (`device_del` on its monitor, an ACPI eject; see xtask/src/qmp.rs) and
# plugs a new one into the same slot (`device_add`), $RSTKEY_UNPLUG_CYCLES
# times (default 3). Before each removal the device's data queues are
# limited to 8 descriptors in use (`queue_limit`), so that the load's
# requests also wait on the backlog when the device goes.
#
# In every phase each cipher request ends exactly once: the load counts, per
# request, how often its callback was told its end (drivers/crypto/rstkey/
# test/load.rs), and the requests that completed and that ended with an
# error add up to those submitted.
#
# Soak: the same load for $RSTKEY_SOAK_SECS seconds (default 30; give 600 or
# more for a long one, `cargo xtask test --soak 600`), with an unbind/bind
# every 5 seconds and every third time a module reload: rmmod under the
# load (refused while the load holds the module), then the load stops, the
# module is removed and loaded again, and the load starts again.
#
# Afterwards: no wrong result, every process ended, the algorithms work
# and pass their self-tests, the pool, the sessions and kmemleak are back
# where they started, and the kernel log has no warning.
. /usr/share/rstkey/lib.sh
[ -f /mnt/ctl/vm.env ] && . /mnt/ctl/vm.env

ktap_plan 37

fx=/mnt/ctl/fixtures
dbg=/sys/kernel/debug
loadf=$dbg/rstkey/load
drv=/sys/bus/virtio/drivers/rstkey
pool=$dbg/rstkey_sw/pool
kml=$dbg/kmemleak
cycles=${RSTKEY_REMOVAL_CYCLES:-4}
soak=${RSTKEY_SOAK_SECS:-30}
ncpu=$(grep -c ^processor /proc/cpuinfo)

echo "rstkey-test: removal and soak start" > /dev/kmsg

field() { sed -n "s/^$1 //p" $pool 2>/dev/null; }
# reached NAME CMD...: a check that the load reached a state (requests on the
# backlog, rounds that failed while the device was away), not of a result.
# Under the debug kernel (lockdep, KASAN) the load computes its references
# several times slower, so whether a removal finds requests in flight is
# left to timing there: not reaching it is a skip, not a failure. The checks
# of the results (every request ended once, none wrong, nothing leaked) hold
# in both kernels.
reached() {
	_name=$1
	shift
	if "$@"; then
		ktap_ok "$_name"
	elif [ -e /proc/lockdep ]; then
		ktap_skip "$_name" "not reached under the debug kernel's timing"
	else
		ktap_fail "$_name"
	fi
}
# devname: the name of the virtio-crypto device; fails while there is none
# (after a hot-plug, until the device is enumerated).
devname() { _dev=$(/usr/share/rstkey/find-crypto-dev) && basename "$_dev"; }
stat() { sed -n "s/^$1: //p" "$dbg/rstkey/$(devname)/stats" 2>/dev/null; }
# sum FIELD FILES...: the sum of FIELD=<n> over the lines of FILES.
sum() {
	f=$1
	shift
	cat "$@" 2>/dev/null | awk -v f="$f=" '{ for (i = 1; i <= NF; i++) if (index($i, f) == 1) s += substr($i, length(f) + 1) } END { print s + 0 }'
}

modprobe rstkey_sw_test 2>/dev/null
name=$(devname)
ktap_check "device_bound_at_start" test -e "$drv/$name"
free0=$(field free_pages)
bufs0=$(field buffers)
sess0=$(stat open_sessions)
[ -w $kml ] && { echo scan > $kml; echo clear > $kml; }

# start_load: starts the six load processes.
start_load() {
	rm -f /tmp/stop /tmp/load-* /tmp/fl-*
	for p in 0 1 2 3; do
		taskset -c $((p % ncpu)) /usr/share/rstkey/cipher-load L$p $loadf /tmp/stop > /tmp/load-$p.tmp &
	done
	for p in 0 1; do
		# The secure world's test file serves one process at a time.
		( export FAULT_LOAD_UNTIL=/tmp/stop FAULT_LOAD_FIRST=$((p * 5 + 2)) FAULT_LOAD_TAG=1
		  [ $p = 1 ] && export FAULT_LOAD_NO_SW=1
		  taskset -c $((p % ncpu)) fault-load $fx \
			"$dbg/rstkey/$name/crypto" 100000000 > /tmp/fl-$p.out 2>/tmp/fl-$p.err
		  echo "rc=$?" >> /tmp/fl-$p.out ) &
	done
}

# stop_load NAME: stops the load; waits up to 300 s for every process to
# report, and keeps the reports in /tmp/acc/NAME.
stop_load() {
	touch /tmp/stop
	i=0
	while [ $i -lt 300 ]; do
		for f in /tmp/load-*.tmp; do
			grep -q '^rounds=' "$f" && mv "$f" "${f%.tmp}.out"
		done
		n=$(ls /tmp/load-*.out 2>/dev/null | wc -l)
		m=$(grep -l '^rc=' /tmp/fl-*.out 2>/dev/null | wc -l)
		[ "$n" = 4 ] && [ "$m" = 2 ] && break
		sleep 1
		i=$((i + 1))
	done
	wait
	cat /tmp/load-*.out /tmp/fl-*.out | grep -E '^(rounds|total|rc)' | sed 's/^/# /'
	cat /tmp/fl-*.err 2>/dev/null | head -5 | sed 's/^/# /'
	phase=$((phase + 1))
	mkdir -p /tmp/acc/$1
	for f in /tmp/load-*.out /tmp/fl-*.out; do
		[ -e "$f" ] && mv "$f" "/tmp/acc/$1/$phase-$(basename "$f")"
	done
}
phase=0

# rebind: unbinds and binds the device; counts the successes.
unbinds=0
binds=0
rebind() {
	echo "$name" > $drv/unbind 2>/dev/null && unbinds=$((unbinds + 1))
	sleep 1
	echo "$name" > $drv/bind 2>/dev/null && binds=$((binds + 1))
}

# check NAME LOADS: the results of LOADS runs of the load.
check() {
	d=/tmp/acc/$1
	ktap_eq "$1_every_load_process_ended" "$(ls $d/*-load-*.out 2>/dev/null | wc -l)/$(grep -l '^rc=' $d/*-fl-*.out 2>/dev/null | wc -l)" "$(($2 * 4))/$(($2 * 2))"
	ktap_eq "$1_no_wrong_cipher_result" "$(sum wrong $d/*-load-*.out)" 0
	ktap_eq "$1_keyring_and_secure_world_load_exited_zero" "$(cat $d/*-fl-*.out | grep -c '^rc=0')" $(($2 * 2))
	ktap_eq "$1_every_request_ended_once" "$(($(sum completed $d/*-load-*.out) + $(sum errored $d/*-load-*.out)))/$(sum not_once $d/*-load-*.out)" "$(sum requests $d/*-load-*.out)/0"
	ktap_check "$1_cipher_rounds_succeeded" test "$(sum ok $d/*-load-*.out)" -gt 0
	reached "$1_cipher_rounds_failed_while_device_away" test "$(sum failed $d/*-load-*.out)" -gt 0
	ktap_diag "$1: cipher rounds $(sum rounds $d/*-load-*.out), $(sum requests $d/*-load-*.out) requests ($(sum completed $d/*-load-*.out) completed, $(sum errored $d/*-load-*.out) errors, $(sum backlogged $d/*-load-*.out) backlogged, $(sum backlog_errored $d/*-load-*.out) of these errors), $(sum failed $d/*-load-*.out) rounds failed; other operations $(grep -h '^total' $d/*-fl-*.out | awk '{ split($2, o, "="); split($4, e, "="); n += o[2]; f += e[2] } END { print n + 0 ", " f + 0 }') failed"
}

# Removal.
start_load
sleep 3
c=0
while [ $c -lt "$cycles" ]; do
	rebind
	sleep 2
	c=$((c + 1))
done
stop_load removal
ktap_eq "removal_unbinds" "$unbinds" "$cycles"
ktap_eq "removal_binds" "$binds" "$cycles"
check removal 1

# Hot-unplug.
ucycles=${RSTKEY_UNPLUG_CYCLES:-3}
pcidev=/sys/bus/pci/devices/${RSTKEY_VM_CRYPTO_PCI:?}
unplugs=0
plugs=0
left=0
back=0
start_load
c=0
while [ $c -lt "$ucycles" ]; do
	echo 8 > "$dbg/rstkey/$name/queue_limit"
	sleep 2
	r=$(vm_monitor device_del) && unplugs=$((unplugs + 1))
	ktap_diag "unplug $c: device_del: $r"
	i=0
	while [ -e "$pcidev" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$pcidev" ] || left=$((left + 1))
	sleep 1
	r=$(vm_monitor device_add) && plugs=$((plugs + 1))
	ktap_diag "unplug $c: device_add: $r"
	i=0
	while ! { name=$(devname) && [ -e "$drv/$name" ]; } && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$drv/$name" ] && back=$((back + 1))
	c=$((c + 1))
done
stop_load unplug
ktap_eq "unplug_device_del" "$unplugs" "$ucycles"
ktap_eq "unplug_device_add" "$plugs" "$ucycles"
ktap_eq "unplug_device_left_the_guest" "$left" "$ucycles"
ktap_eq "unplug_new_device_bound_to_rstkey" "$back" "$ucycles"
check unplug 1
# Not every removal finds requests on the backlog: a round that is
# computing its reference has none in flight.
ktap_diag "unplug: backlogged requests that ended with an error: $(sum backlog_errored /tmp/acc/unplug/*-load-*.out)"
reached "unplug_load_used_the_backlog" test "$(sum backlogged /tmp/acc/unplug/*-load-*.out)" -gt 0

# Soak.
unbinds=0
binds=0
reloads=0
busy=0
loads=1
end=$(($(cut -d. -f1 /proc/uptime) + soak))
start_load
c=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
	sleep 5
	c=$((c + 1))
	if [ $((c % 3)) = 0 ]; then
		# While the load holds the module, rmmod is refused; when it
		# is not refused, the load's operations fail until modprobe.
		rmmod rstkey 2>/dev/null || busy=$((busy + 1))
		stop_load soak
		if lsmod | grep -q '^rstkey '; then
			rmmod rstkey && modprobe rstkey && reloads=$((reloads + 1))
		else
			modprobe rstkey && reloads=$((reloads + 1))
		fi
		sleep 1
		start_load
		loads=$((loads + 1))
	else
		rebind
	fi
done
stop_load soak
ktap_diag "soak: ${soak}s, $c periods, $unbinds unbinds, $binds binds, $reloads module reloads, rmmod under load refused $busy times"
ktap_eq "soak_binds_match_unbinds" "$binds" "$unbinds"
ktap_eq "soak_module_reloads" "$reloads" "$((c / 3))"
check soak $loads

# After the load: the device is bound, the algorithms work.
name=$(devname)
ktap_check "device_bound_after" test -e "$drv/$name"
ktap_eq "one_engine_after" "$(cat $dbg/rstkey/engines 2>/dev/null)" 1
echo "A cbc-aes-rstkey 4096 8 200" > $loadf
line=$(grep '^A ' $loadf)
ktap_diag "after: $line"
ktap_check "cipher_works_after" sh -c "echo '$line' | grep -q 'failed=0 wrong=0' && ! echo '$line' | grep -q 'rounds=0'"
fault-load $fx "$dbg/rstkey/$name/crypto" 110 > /tmp/fl.out 2>&1
ktap_check "keyring_and_secure_world_work_after" grep -q 'total ops=110 ok=110 err=0 wrong=0' /tmp/fl.out
ktap_check "selftests_passed_after_reload" rstkey_selftests_passed $RSTKEY_ALGS

state() { echo "$(field free_pages)/$(field buffers)/$(stat open_sessions)"; }
wait_for_state "$free0/$bufs0/$sess0" state
ktap_eq "pool_back_to_start" "$(field free_pages)/$(field buffers)" "$free0/$bufs0"
ktap_eq "sessions_back_to_start" "$(stat open_sessions)" "$sess0"

ktap_kmemleak

ktap_no_warnings "rstkey-test: removal and soak start"

ktap_done
