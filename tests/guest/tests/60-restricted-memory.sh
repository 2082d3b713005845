#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Restricted memory and the emulated secure world (drivers/tee/rstkey_sw).
#
# - The carveout is reserved, not System RAM, and fully handed to the pool.
# - User space: the "protected,crypto-key" dma-heap allocates 1 byte, a page
#   and several pages, refuses 0 bytes (EINVAL) and more than the pool
#   (ENOMEM), refuses mmap (EINVAL) and CPU access (EPERM); the key manager
#   refuses user space sessions.
# - Kernel (through the test client rstkey_sw_test): the same sizes with
#   tee_protmem_alloc(), vmap and begin_cpu_access refused, an ungranted
#   device's attach refused with EPERM, the granted virtio-crypto device's
#   attach mapped inside the carveout, memory references outside their
#   buffer refused.
# - Key manager: blobs wrapped on the host with openssl (tests/host/wrap-key)
#   unwrap to keys whose SHA-256, computed by the secure world, equals the
#   host's; every broken blob gets its errno, and a blob made for one use
#   (key type, usages) is refused for another; IMPORT and GENERATE work,
#   and a generated exportable key's blob unwraps to it;
#   ZEROIZE and freeing leave zeros (compared with sha256sum of /dev/zero):
#   the whole pool, filled with random keys and freed, reads back as zeros.
# - 10,000 allocate/free cycles leave the pool fully free and kmemleak clean.
. /usr/share/rstkey/lib.sh
[ -f /mnt/ctl/vm.env ] && . /mnt/ctl/vm.env

ktap_plan 78

fx=/mnt/ctl/fixtures
heap=protected,crypto-key
pool=/sys/kernel/debug/rstkey_sw/pool
cmd=/sys/kernel/debug/rstkey_sw_test/cmd
base=${RSTKEY_VM_CARVEOUT_BASE:-0}
size=${RSTKEY_VM_CARVEOUT_SIZE:-0}

echo "rstkey-test: restricted memory start" > /dev/kmsg

# field NAME: a field of the pool file.
field() { sed -n "s/^$1 //p" $pool 2>/dev/null; }
# run CMD: runs a test client command, sets $res to its result line.
run() {
	echo "$1" > $cmd 2>/dev/null
	res=$(cat $cmd 2>/dev/null)
	ktap_diag "'$(echo "$1" | cut -c1-60)' -> $res"
}
# expect NAME PATTERN: $res matches the extended regex PATTERN.
expect() {
	if echo "$res" | grep -Eqx "$2"; then
		ktap_ok "$1"
	else
		ktap_diag "$1: expected /$2/"
		ktap_fail "$1"
	fi
}
zeros() { head -c "$1" /dev/zero | sha256sum | cut -d' ' -f1; }
hexnum() { printf '%d' "$1"; }

# The platform.
ktap_eq "carveout_base" "$(field base)" "$(printf '%#x' "$base")"
ktap_eq "carveout_size" "$(field size)" "$(printf '%#x' "$size")"
range=$(printf '%08x-%08x' "$base" $((base + size - 1)))
iomem=$(grep -i "^ *$range" /proc/iomem)
ktap_diag "iomem: $iomem"
ktap_check "carveout_reserved_not_ram" sh -c "echo '$iomem' | grep -q Reserved && ! grep -q '^ *$range : System RAM' /proc/iomem"
ktap_check "heap_present" test -c /dev/dma_heap/$heap
pages=$(field pages)
ktap_eq "pool_all_free_at_start" "$(field free_pages)" "$pages"

# User space dma-heap.
ktap_eq "user_alloc_1_byte" "$(dma-heap-test alloc $heap 1)" "ok 4096"
ktap_eq "user_alloc_page" "$(dma-heap-test alloc $heap 4096)" "ok 4096"
ktap_eq "user_alloc_multi_page" "$(dma-heap-test alloc $heap 65536)" "ok 65536"
ktap_eq "user_alloc_whole_pool" "$(dma-heap-test alloc $heap "$size")" "ok $size"
ktap_eq "user_alloc_too_large_enomem" "$(dma-heap-test alloc $heap $((size + 4096)))" "errno 12"
ktap_eq "user_alloc_zero_einval" "$(dma-heap-test alloc $heap 0)" "errno 22"
ktap_eq "user_mmap_refused_einval" "$(dma-heap-test mmap $heap)" "errno 22"
ktap_eq "user_cpu_access_refused_eperm" "$(dma-heap-test sync $heap)" "errno 1"
teedev=/dev/none
for t in /sys/class/tee/tee*; do
	[ "$(basename "$(readlink "$t/device")")" = rstkey-sw ] && teedev=/dev/$(basename "$t")
done
uuid=5c0d3a1e-7b4f-4d6a-9e21-5f8c3b9a0d17
# TEEC_ERROR_ACCESS_DENIED from the TEE (origin 3) for a public login.
ktap_eq "user_session_public_denied" "$(dma-heap-test session "$teedev" $uuid 0)" "result 0xffff0001 origin 3"
# The TEE core refuses the kernel login method to user space.
ktap_eq "user_session_kernel_login_eperm" "$(dma-heap-test session "$teedev" $uuid 0x80000000)" "errno 1"

modprobe rstkey_sw_test
ktap_check "test_client_loaded" test -w $cmd

# In-kernel allocation.
run "alloc 1"; expect "kernel_alloc_1_byte" "alloc: ok size=4096"
run "alloc 4096"; expect "kernel_alloc_page" "alloc: ok size=4096"
run "alloc 65536"; expect "kernel_alloc_multi_page" "alloc: ok size=65536"
run "alloc $((size + 4096))"; expect "kernel_alloc_too_large_enomem" "alloc: error -12"
run "alloc 0"; expect "kernel_alloc_zero_einval" "alloc: error -22"
run "vmap"; expect "kernel_vmap_refused_einval" "vmap: error -22"
run "cpu-access"; expect "kernel_cpu_access_refused_eperm" "cpu-access: error -1"

# Attachments.
run "attach-faux"; expect "attach_ungranted_faux_eperm" "attach-faux: error -1"
other=$(ls /sys/bus/pci/drivers/virtio-pci/ | grep '^0000:' | grep -v "${RSTKEY_VM_CRYPTO_PCI:-none}" | head -1)
odevid=$(printf '%#x' $(( (0x$(echo "$other" | cut -d: -f2) << 8) | (0x$(echo "$other" | cut -d: -f3 | cut -d. -f1) << 3) | $(echo "$other" | cut -d. -f2) )))
run "attach $odevid"; expect "attach_ungranted_pci_eperm" "attach: error -1"
run "attach ${RSTKEY_VM_GRANT_PCI:-none}"; expect "attach_granted" "attach: ok dma=0x[0-9a-f]+ len=0x1000 entries=1"
dma=$(echo "$res" | sed -n 's/.*dma=\(0x[0-9a-f]*\).*/\1/p')
ktap_check "attach_granted_dma_in_carveout" sh -c "[ -n '$dma' ] && [ \$(($dma)) -ge \$(($base)) ] && [ \$(($dma + 4096)) -le \$(($base + $size)) ]"
run "oob"; expect "memref_out_of_bounds_refused" "oob: ok refused=4"

# Key manager: unwrap of host-wrapped blobs.
# AES-CBC keys (the default use).
for n in 16 24 32; do
	run "unwrap $(cat $fx/key$n.blob.hex)"
	expect "unwrap_key${n}_matches_openssl" "unwrap: ok len=$n sha256=$(cat $fx/key$n.sha256)"
done
# An RSA key, wrapped by openssl with its public key; the same private key
# with another public key, and RSA-typed random bytes at the length bounds
# (1 and 4096 bytes), which are no private key of theirs: EBADMSG.
rsa_ok="unwrap: ok len=$(cat $fx/rsa-priv.der.len) sha256=$(cat $fx/rsa-priv.der.sha256)"
run "unwrap $(cat $fx/rsa.blob.hex) 2 0x300"
expect "unwrap_openssl_rsa_blob_to_rsaprivatekey" "$rsa_ok"
run "unwrap $(cat $fx/rsa-other-pub.blob.hex) 2 0x300"
expect "unwrap_rsa_blob_with_other_public_key_refused" "unwrap: error -74"
for n in 1 4096; do
	run "unwrap $(cat $fx/key$n.blob.hex) 2 0x100"
	expect "unwrap_rsa_typed_${n}_bytes_not_a_key_refused" "unwrap: error -74"
done
# Blobs made by the provisioning tool (tools/rstkey-wrap).
run "unwrap $(cat $fx/tool-key32.blob.hex)"
expect "unwrap_tool_aes_blob" "unwrap: ok len=32 sha256=$(cat $fx/key32.sha256)"
run "unwrap $(cat $fx/tool-rsa.blob.hex) 2 0x300"
expect "unwrap_tool_rsa_blob_to_rsaprivatekey" "$rsa_ok"
# Its header (but the IV) and public key are openssl's.
publen=$(($(wc -c < $fx/rsa-pub.der) + 2))
ktap_check "tool_rsa_blob_header_and_public_key_equal_openssl" sh -c \
	"cmp -s -n 16 $fx/tool-rsa.blob $fx/rsa.blob && cmp -s -n $publen $fx/tool-rsa.blob $fx/rsa.blob 32 32"
run "unwrap $(cat $fx/exportable.blob.hex)"
expect "unwrap_exportable_flag" "unwrap: ok len=32 sha256=$(cat $fx/key32.sha256)"
for b in bad-magic:-74 bad-version:-95 bad-alg:-95 bad-keylen:-22 \
	 bad-type:-95 bad-reserved:-74 bad-usage:-74 \
	 bad-ciphertext:-74 bad-tag:-74 truncated:-22 extended:-22 short:-22 \
	 other-key:-74 aes-17-bytes:-74 aes-rsa-usage:-74 unknown-flag:-74 \
	 version-1:-95; do
	name=${b%%:*} err=${b#*:}
	run "unwrap $(cat $fx/$name.blob.hex)"
	expect "unwrap_${name}_refused" "unwrap: error $err"
done
# A blob for one use is refused for another: EACCES.
run "unwrap $(cat $fx/key32.blob.hex) 2 0x100"
expect "unwrap_aes_key_as_rsa_refused" "unwrap: error -13"
run "unwrap $(cat $fx/key32.blob.hex) 1 4"
expect "unwrap_cbc_key_for_ctr_refused" "unwrap: error -13"
run "unwrap $(cat $fx/key4096.blob.hex) 2 0x300"
expect "unwrap_missing_usage_refused" "unwrap: error -13"
run "unwrap $(cat $fx/key32.blob.hex) 1 0"
expect "unwrap_no_usage_refused" "unwrap: error -13"
run "import $(cat $fx/key32.hex)"
expect "import_key32_matches_openssl" "import: ok len=32 sha256=$(cat $fx/key32.sha256)"
run "generate 32"; g1=$res
run "generate 32"; g2=$res
ktap_check "generate_random_keys" sh -c "echo '$g1' | grep -Eq 'ok len=32 sha256=' && [ '$g1' != '$g2' ] && ! echo '$g1' | grep -q $(zeros 32)"
# An exportable key: its blob, made in the secure world, unwraps to the key
# (the digests agree) and its header says AES, CBC, exportable.
run "generate 32 1 1 1"
gd=$(echo "$res" | sed -n 's/.*sha256=\([0-9a-f]*\) blob=.*/\1/p')
gb=$(echo "$res" | sed -n 's/.* blob=\([0-9a-f]*\)$/\1/p')
ktap_eq "generate_exportable_blob_header" "$(echo "$gb" | cut -c1-32)" "524b5742020120000100010001000000"
run "unwrap $gb"
expect "generated_blob_unwraps_to_the_key" "unwrap: ok len=32 sha256=$gd"
# For the next boot, which must open it with the same device key.
echo "$gb $gd" > /mnt/ctl/persist.txt
run "generate 64 1 8"; expect "generate_aes_xts_key" "generate: ok len=64 sha256=[0-9a-f]{64}"
run "generate 17"; expect "generate_aes_17_bytes_refused" "generate: error -74"
run "generate 256 2 0x100"; expect "generate_rsa_refused" "generate: error -95"
run "generate 32 1 1 2"; expect "generate_unknown_flag_refused" "generate: error -74"
run "generate 32 1 0x100"; expect "generate_rsa_usage_on_aes_refused" "generate: error -74"

# Zeroization.
z=$(zeros 4096)
run "zeroize-cmd 4096"
expect "zeroize_command_zeroes" "zeroize-cmd: ok before=[0-9a-f]{64} after=$z"
ktap_check "zeroize_had_key_before" sh -c "! echo '$res' | grep -q 'before=$z'"
# Buffers are released when the command's write returns (dma-bufs are files,
# whose last fput is deferred to the return to user space), so the pool is
# filled in one command and allocated again in the next.
run "fill-free $size"; expect "fill_whole_pool_with_keys" "fill-free: ok sha256=[0-9a-f]{64}"
ktap_check "filled_pool_not_zero" sh -c "! echo '$res' | grep -q $(zeros "$size")"
run "alloc-check $size"
expect "freed_pool_reads_zero" "alloc-check: ok sha256=$(zeros "$size")"

# Allocation cycles.
kml=/sys/kernel/debug/kmemleak
[ -w $kml ] && { echo scan > $kml; echo clear > $kml; }
# 10,000 cycles in batches of 1,000, for the reason above.
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	echo "cycles 1000 4096" > $cmd 2>/dev/null
	[ "$(cat $cmd)" = "cycles: ok cycles=1000" ] && ok=$((ok + 1000))
done
ktap_eq "alloc_free_10000_cycles" "$ok" 10000
ktap_eq "pool_all_free_after_cycles" "$(field free_pages)/$(field buffers)" "$pages/0"
ktap_kmemleak

ktap_no_warnings "rstkey-test: restricted memory start"

ktap_done
