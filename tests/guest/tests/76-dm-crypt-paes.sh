#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dm-crypt with cbc(paes): mappings over RAM disks (brd) whose key is a
# blob in a logon key (`capi:cbc(paes)-plain64` and `:112:logon:<desc>` in
# the table), which dm-crypt hands to cbc-paes-rstkey's setkey; dm-crypt
# asks for an algorithm that does not allocate memory per request, which
# rstkey's is. The raw sectors under a mapping keyed by a host-wrapped blob
# equal what openssl makes with the clear key and the plain64 IVs (the
# sector number), with 512- and 4096-byte sectors; a key generated in the
# secure world keys a mapping too, whose image and blob the host keeps for
# the next boot (fault-test opens it there). Two mappings and AF_ALG users
# at once; bad blobs and a clear key refused at table load; a revoked key
# does not stop a live mapping; rstkey can't be unloaded under one; nothing
# is left afterwards.
. /usr/share/rstkey/lib.sh

ktap_plan 27

fx=/mnt/ctl/fixtures
tmp=/tmp/dmc
mkdir -p $tmp
export DM_DISABLE_UDEV=1

echo "rstkey-test: dm-crypt-paes start" > /dev/kmsg

free0=$(pool_field free_pages) bufs0=$(pool_field buffers) sess0=$(device_stat open_sessions)
ktap_diag "at the start: pool free_pages=$free0 buffers=$bufs0, open sessions $sess0"

# The keys are in a session keyring of the script's own: dm-crypt looks them
# up from dmsetup's keyrings, and only a possessor reads an rstkey key.
keyctl new_session > /dev/null

# mapping NAME DEV KEYDESC KEYSIZE [OPTIONS]: creates dm-crypt mapping NAME
# over the first 8 MiB of DEV with cbc(paes)-plain64 and the logon key
# KEYDESC; prints dmsetup's error, if any (the guest kernel has no System V
# IPC, without which libdevmapper says it can't synchronize with udev,
# which the guest does not run anyway).
mapping() {
	_opts=${5:+ 1 $5}
	dmsetup create "$1" --table "0 16384 crypt capi:cbc(paes)-plain64 :$4:logon:$3 0 $2 0$_opts" 2>&1 |
		grep -v '^Kernel not configured for semaphores'
}

# against_openssl MAP N BITS SECTOR_SIZE COUNT: writes the 64 KiB pattern
# through mapping MAP (over /dev/ram0, keyed by the fixture keyN), checks the
# first COUNT raw sectors against openssl and reads the pattern back: the
# cases raw_sectors_SECTOR_SIZE_match_openssl and read_back_SECTOR_SIZE.
against_openssl() {
	dd if=$tmp/pattern of=/dev/mapper/$1 bs=4096 count=16 oflag=direct 2>/dev/null
	dd if=/dev/ram0 of=$tmp/raw-$1 bs=$4 count=$5 iflag=direct 2>/dev/null
	cbc_plain64_openssl "$(cat $fx/key$2.hex)" $3 $tmp/pattern $4 $5 > $tmp/exp-$1
	ktap_check "raw_sectors_$4_match_openssl" cmp -s $tmp/raw-$1 $tmp/exp-$1
	dd if=/dev/mapper/$1 of=$tmp/back-$1 bs=4096 count=16 iflag=direct 2>/dev/null
	ktap_check "read_back_$4" cmp -s $tmp/back-$1 $tmp/pattern
}

head -c 65536 /dev/urandom > $tmp/pattern
head -c 65536 /dev/urandom > $tmp/pattern2

# A host-wrapped AES-256 key, 4096-byte sectors.
keyctl padd logon rstkey:dm32 @s < $fx/key32.blob > /dev/null
r=$(mapping dm32 /dev/ram0 rstkey:dm32 112 sector_size:4096)
[ -n "$r" ] && ktap_diag "dmsetup: $r"
ktap_check "mapping_with_blob_created" test -b /dev/mapper/dm32
ktap_check "table_names_cbc_paes" sh -c "dmsetup table dm32 | grep -q 'capi:cbc(paes)-plain64 :112:logon:rstkey:dm32'"
ktap_eq "mapping_has_two_device_sessions" "$(device_stat open_sessions)" "$((sess0 + 2))"
against_openssl dm32 32 256 4096 16
dmsetup remove dm32 2> /dev/null

# A host-wrapped AES-128 key, 512-byte sectors (the default).
keyctl padd logon rstkey:dm16 @s < $fx/key16.blob > /dev/null
r=$(mapping dm16 /dev/ram0 rstkey:dm16 96)
[ -n "$r" ] && ktap_diag "dmsetup: $r"
ktap_check "mapping_aes128_created" test -b /dev/mapper/dm16
against_openssl dm16 16 128 512 8

# A key generated in the secure world: its blob, from keyctl pipe, keys a
# mapping through a logon key.
k=$(keyctl add rstkey dmgen "new aes-256-cbc" @s)
keyctl pipe "$k" | xxd -r -p > $tmp/gen.blob
keyctl padd logon rstkey:dmgen @s < $tmp/gen.blob > /dev/null
r=$(mapping dmgen /dev/ram1 rstkey:dmgen 112)
[ -n "$r" ] && ktap_diag "dmsetup: $r"
ktap_check "mapping_with_generated_key_created" test -b /dev/mapper/dmgen

# Both mappings and twelve AF_ALG users at once, on both vCPUs.
(
	dd if=$tmp/pattern of=/dev/mapper/dm16 bs=4096 count=16 oflag=direct 2>/dev/null
	dd if=/dev/mapper/dm16 of=$tmp/c16 bs=4096 count=16 iflag=direct 2>/dev/null
) &
(
	dd if=$tmp/pattern2 of=/dev/mapper/dmgen bs=4096 count=16 oflag=direct 2>/dev/null
	dd if=/dev/mapper/dmgen of=$tmp/cgen bs=4096 count=16 iflag=direct 2>/dev/null
) &
v=$fx/paes-32-1
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	(
		r=$(afalg-enc enc "cbc(paes)" $fx/key32.blob "$(cat $v.iv)" $v.pt $tmp/af-$i 2>&1)
		{ [ "$r" = ok ] && cmp -s $tmp/af-$i $v.ct; } || echo "client $i: $r" >> $tmp/af.bad
	) &
done
wait
ktap_check "concurrent_mapping_aes128" cmp -s $tmp/c16 $tmp/pattern
ktap_check "concurrent_mapping_generated" cmp -s $tmp/cgen $tmp/pattern2
[ -e $tmp/af.bad ] && ktap_diag "$(head -3 $tmp/af.bad)"
ktap_check "concurrent_afalg_users_match_openssl" test ! -e $tmp/af.bad
dd if=/dev/ram1 of=$tmp/rawgen bs=65536 count=1 iflag=direct 2>/dev/null
ktap_check "generated_key_sectors_not_plaintext" sh -c "! cmp -s $tmp/rawgen $tmp/pattern2"

# For the next boot: the blob and the raw image, with the plaintext's digest.
cp $tmp/rawgen /mnt/ctl/dm-persist.img
echo "$(xxd -p $tmp/gen.blob | tr -d '\n'):$(sha256sum < $tmp/pattern2 | cut -d' ' -f1)" > /mnt/ctl/dm-persist.txt

# The key is read at table load: revoking it does not stop a live mapping,
# but a new table with it fails (EKEYREVOKED, or ENOKEY: the search skips
# revoked keys).
keyctl revoke "$(keyctl search @s logon rstkey:dm16)"
dd if=/dev/mapper/dm16 of=$tmp/rev16 bs=4096 count=16 iflag=direct 2>/dev/null
ktap_check "revoked_key_live_mapping_reads" cmp -s $tmp/rev16 $tmp/pattern
r=$(mapping dmrev /dev/ram1 rstkey:dm16 96)
ktap_diag "new mapping with the revoked key: $(echo "$r" | tr "\n" " ")"
ktap_check "revoked_key_new_mapping_refused" sh -c "echo '$r' | grep -qE 'Key has been revoked|Required key not available'"
dmsetup remove dmrev 2> /dev/null

# rstkey can't go while a mapping holds one of its transformations.
ktap_check "rmmod_refused_while_mapped" sh -c "! rmmod rstkey 2>/dev/null"

# Bad keys at table load: each refused with the errno of setkey (an AES
# blob with an RSA usage is malformed, one for XTS only is of another
# purpose).
for b in bad-tag:"Bad message" other-key:"Bad message" aes-rsa-usage:"Bad message" \
	 aes-xts:"Permission denied" truncated:"Invalid argument"; do
	name=${b%%:*} msg=${b#*:}
	keyctl padd logon "rstkey:$name" @s < $fx/$name.blob > /dev/null
	r=$(mapping "bad-$name" /dev/ram1 "rstkey:$name" "$(wc -c < $fx/$name.blob)")
	echo "$r" | grep -q "$msg" || ktap_diag "$name: $r"
	ktap_check "blob_${name}_refused" sh -c "echo '$r' | grep -q '$msg'"
	dmsetup remove "bad-$name" 2> /dev/null
done
keyctl padd logon rstkey:clear @s < $fx/key32.bin > /dev/null
r=$(mapping clear /dev/ram1 rstkey:clear 32)
ktap_check "clear_key_refused_eacces" sh -c "echo '$r' | grep -q 'Permission denied'"
dmsetup remove clear 2> /dev/null

dmsetup remove dm16 2> /dev/null
dmsetup remove dmgen 2> /dev/null
ktap_eq "no_mapping_left" "$(dmsetup ls 2>&1)" "No devices found"

state() { echo "$(pool_field free_pages)/$(pool_field buffers)/$(device_stat open_sessions)"; }
wait_for_state "$free0/$bufs0/$sess0" state
ktap_eq "pool_back_to_start" "$(pool_field free_pages)/$(pool_field buffers)" "$free0/$bufs0"
ktap_eq "no_session_left" "$(device_stat open_sessions)" "$sess0"
ktap_no_warnings "rstkey-test: dm-crypt-paes start"
ktap_kmemleak
rm -rf $tmp
ktap_done
