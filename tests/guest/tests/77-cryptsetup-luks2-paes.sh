#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cryptsetup and LUKS2 with cbc(paes), as s390 users run paes: the volume
# key is a key blob (`--volume-key-file`, its size as the key size), the
# cipher `paes-cbc-plain64`. cryptsetup knows paes as a wrapped-key cipher:
# it does not try the key on the kernel's crypto API at luksFormat, keeps
# the keyslots in aes-xts-plain64 (in userspace, with the passphrase), and
# at open hands the blob to dm-crypt through a logon key of its own, which
# dm-crypt gives cbc-paes-rstkey's setkey.
#
# A host-wrapped AES-256 blob with a detached header: the raw sectors equal
# openssl's with the clear key; closed and reopened, the data reads back; a
# wrong passphrase opens nothing. A key generated in the secure world with
# the header on the device. Bad volume keys (tampered, other device, clear)
# are formatted without complaint, cryptsetup can't judge a wrapped key,
# and refused at open with setkey's errno, leaving no mapping and no key.
# Nothing is left afterwards.
. /usr/share/rstkey/lib.sh

ktap_plan 23

fx=/mnt/ctl/fixtures
tmp=/tmp/luks
mkdir -p $tmp /run/cryptsetup
export DM_DISABLE_UDEV=1

echo "rstkey-test: cryptsetup-luks2-paes start" > /dev/kmsg

free0=$(pool_field free_pages) bufs0=$(pool_field buffers) sess0=$(device_stat open_sessions)
ktap_diag "at the start: pool free_pages=$free0 buffers=$bufs0, open sessions $sess0"

# cryptsetup puts the volume key in its thread keyring for dm-crypt; a
# session keyring of the script's own holds the generated key.
keyctl new_session > /dev/null
printf 'correct horse' > $tmp/pass
printf 'wrong horse' > $tmp/wrong

# cs ARGS...: cryptsetup, with its output on one line (libdevmapper's
# complaint about the kernel's missing System V IPC left out: the guest runs
# no udev to synchronize with).
cs() {
	cryptsetup "$@" 2>&1 | grep -v '^Kernel not configured for semaphores' | tr '\n' ' '
	return 0
}
# format DEV VOLUME_KEY [OPTIONS...]: luksFormat DEV with paes-cbc-plain64
# and the blob VOLUME_KEY, passphrase $tmp/pass, PBKDF2 (1000 iterations:
# the guest has no time for argon2).
format() {
	_dev=$1 _vk=$2
	shift 2
	cs luksFormat --type luks2 --batch-mode --cipher paes-cbc-plain64 \
		--key-size $(($(wc -c < "$_vk") * 8)) --volume-key-file "$_vk" \
		--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file $tmp/pass "$@" "$_dev"
}
# keys_named PREFIX: the number of keys in /proc/keys whose description
# starts with PREFIX.
keys_named() { awk -v p="$1" 'index($9, p) == 1' /proc/keys | wc -l; }

head -c 65536 /dev/urandom > $tmp/pattern
head -c 65536 /dev/urandom > $tmp/pattern2

# A host-wrapped AES-256 blob, the header in a file of its own: the whole
# RAM disk is ciphertext, from sector 0.
r=$(format /dev/ram0 $fx/key32.blob --header $tmp/hdr)
[ -n "$r" ] && ktap_diag "luksFormat: $r"
ktap_check "luksformat_with_blob" test -s $tmp/hdr
cryptsetup luksDump $tmp/hdr > $tmp/dump 2>&1
ktap_check "header_names_paes_cbc_plain64" grep -q "cipher: paes-cbc-plain64" $tmp/dump
ktap_check "header_volume_key_is_896_bits" grep -q "Key: *896 bits" $tmp/dump
# The volume key LUKS2 keeps under the passphrase is the blob itself.
cryptsetup luksDump --batch-mode --dump-volume-key --volume-key-file $tmp/vk \
	--key-file $tmp/pass $tmp/hdr > /dev/null 2>&1
ktap_check "volume_key_is_the_blob" cmp -s $tmp/vk $fx/key32.blob

r=$(cs open --header $tmp/hdr --key-file $tmp/pass /dev/ram0 lk32)
[ -n "$r" ] && ktap_diag "open: $r"
ktap_check "open_with_passphrase" test -b /dev/mapper/lk32
table=$(dmsetup table lk32 2>/dev/null)
ktap_diag "table: $table"
ktap_check "table_uses_paes_and_a_logon_key" sh -c \
	"echo '$table' | grep -q 'crypt paes-cbc-plain64 :112:logon:cryptsetup:'"
ktap_eq "mapping_has_two_device_sessions" "$(device_stat open_sessions)" "$((sess0 + 2))"
# LUKS2 chose 4096-byte sectors (the table says so; plain64 still counts
# 512-byte ones).
ss=$(echo "$table" | sed -n 's/.*sector_size:\([0-9]*\).*/\1/p')
ss=${ss:-512}
dd if=$tmp/pattern of=/dev/mapper/lk32 bs=4096 count=16 oflag=direct 2>/dev/null
dd if=/dev/ram0 of=$tmp/raw bs=$ss count=$((65536 / ss)) iflag=direct 2>/dev/null
cbc_plain64_openssl "$(cat $fx/key32.hex)" 256 $tmp/pattern $ss $((65536 / ss)) > $tmp/exp
ktap_check "raw_sectors_match_openssl" cmp -s $tmp/raw $tmp/exp
r=$(cs close lk32)
[ -n "$r" ] && ktap_diag "close: $r"
ktap_check "close_removes_mapping" test ! -e /dev/mapper/lk32

r=$(cs open --header $tmp/hdr --key-file $tmp/wrong /dev/ram0 lk32)
ktap_diag "wrong passphrase: $r"
ktap_check "wrong_passphrase_opens_nothing" sh -c \
	"echo '$r' | grep -q 'No key available' && test ! -e /dev/mapper/lk32"
cs open --header $tmp/hdr --key-file $tmp/pass /dev/ram0 lk32 > /dev/null
dd if=/dev/mapper/lk32 of=$tmp/back bs=4096 count=16 iflag=direct 2>/dev/null
ktap_check "reopened_reads_back" cmp -s $tmp/back $tmp/pattern
cs close lk32 > /dev/null

# A key generated in the secure world, its exported blob the volume key,
# the header on the device (small areas: the RAM disk has 8 MiB).
k=$(keyctl add rstkey luksgen "new aes-128-cbc" @s)
keyctl pipe "$k" | xxd -r -p > $tmp/gen.blob
r=$(format /dev/ram1 $tmp/gen.blob --luks2-metadata-size 16k --luks2-keyslots-size 512k)
[ -n "$r" ] && ktap_diag "luksFormat: $r"
r=$(cs open --key-file $tmp/pass /dev/ram1 lkgen)
[ -n "$r" ] && ktap_diag "open: $r"
ktap_check "generated_key_opens" test -b /dev/mapper/lkgen
dd if=$tmp/pattern2 of=/dev/mapper/lkgen bs=4096 count=16 oflag=direct 2>/dev/null
cs close lkgen > /dev/null
cs open --key-file $tmp/pass /dev/ram1 lkgen > /dev/null
dd if=/dev/mapper/lkgen of=$tmp/back2 bs=4096 count=16 iflag=direct 2>/dev/null
ktap_check "generated_key_reads_back" cmp -s $tmp/back2 $tmp/pattern2
off=$(cryptsetup luksDump /dev/ram1 2>/dev/null | awk '/offset:/ { print $2; exit }')
ktap_diag "data offset: $off bytes"
dd if=/dev/ram1 of=$tmp/rawgen bs=4096 skip=$((${off:-0} / 4096)) count=16 iflag=direct 2>/dev/null
ktap_check "generated_key_sectors_not_plaintext" sh -c \
	"test -s $tmp/rawgen && ! cmp -s $tmp/rawgen $tmp/pattern2"
cs close lkgen > /dev/null

# Bad volume keys: luksFormat takes them (a wrapped key can't be tried),
# open refuses them at table load with setkey's errno and leaves neither a
# mapping nor cryptsetup's logon key.
for b in bad-tag.blob:"Bad message" other-key.blob:"Bad message" key32.bin:"Permission denied"; do
	file=${b%%:*} msg=${b#*:} name=${file%.*}
	format /dev/ram1 $fx/$file --header $tmp/hdr-bad > /dev/null
	r=$(cs open --header $tmp/hdr-bad --key-file $tmp/pass /dev/ram1 lkbad)
	echo "$r" | grep -q "$msg" || ktap_diag "$name: $r"
	ktap_check "volume_key_${name}_refused_at_open" sh -c \
		"echo '$r' | grep -q '$msg' && test ! -e /dev/mapper/lkbad"
	dmsetup remove lkbad 2> /dev/null
	rm -f $tmp/hdr-bad
done

ktap_eq "no_mapping_left" "$(dmsetup ls 2>&1 | grep -v semaphores)" "No devices found"
wait_for_state 0 keys_named cryptsetup:
ktap_eq "no_cryptsetup_key_left" "$(keys_named cryptsetup:)" 0
state() { echo "$(pool_field free_pages)/$(pool_field buffers)/$(device_stat open_sessions)"; }
wait_for_state "$free0/$bufs0/$sess0" state
ktap_eq "pool_back_to_start" "$(pool_field free_pages)/$(pool_field buffers)" "$free0/$bufs0"
ktap_eq "no_session_left" "$(device_stat open_sessions)" "$sess0"
ktap_no_warnings "rstkey-test: cryptsetup-luks2-paes start"
ktap_kmemleak
rm -rf $tmp
ktap_done
