# vm-lib.sh: the workloads of Debian's 6.1.192-3 fixes, inside the VM
# running 6.1.0-55 (sourced by tests/e2e/debian/debian-fix.vm and
# scripts/splice-demo-security; prepare.sh puts it into OUTDIR).  Busybox sh.
# $M: where the ext4 image is mounted, $N: where NFS mounts it.
M=/mnt/ext4
N=/mnt/nfs
T=/sys/kernel/tracing

# hits PROBE: how often the kprobe event splice/PROBE fired
hits() { awk -v e="$1" '$1 == e { print $2 }' $T/kprobe_profile; }

# setup: loopback up, the modules loaded, the ext4 image mounted on $M
setup() {
	ifconfig lo 127.0.0.1 up || return 1
	for m in ext4 nfsd loop nfsv4; do
		modprobe $m || return 1
	done
	mkdir -p $M $N && mount -t ext4 -o loop "$1" $M
}

# the workload: files written, synced, the page cache dropped (the buddy
# pages with it), written again (the allocator loads the buddies: without
# the fix, this is where 6.1.0-55 dies), read back and compared
workload() {
	i=0
	while [ $i -lt 4 ]; do
		dd if=/dev/urandom of=/tmp/data.$i bs=64k count=8 2>/dev/null || return 1
		cp /tmp/data.$i $M/file.$i || return 1
		sync
		echo 3 >/proc/sys/vm/drop_caches
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 4 ]; do
		cmp /tmp/data.$i $M/file.$i || return 1
		i=$((i + 1))
	done
	rm -f $M/file.* && sync
}

# nfs_workload: a file written over NFS, read back over NFS and on ext4
nfs_workload() {
	dd if=/dev/urandom of=/tmp/nfsdata bs=64k count=4 2>/dev/null &&
		cp /tmp/nfsdata $N/nfsfile && sync && cmp /tmp/nfsdata $N/nfsfile &&
		cmp /tmp/nfsdata $M/nfsfile && rm $N/nfsfile
}

# nfs_start: nfsd serves $M (fsid=0, the NFSv4 root) to 127.0.0.1 over TCP,
# NFSv4.x only (no rpcbind in the VM), grace and lease times at their minimum
nfs_start() {
	mount -t nfsd nfsd /proc/fs/nfsd &&
	echo "nfsd 127.0.0.1 2147483647 splice" >/proc/net/rpc/auth.unix.ip/channel &&
	echo "splice 1 \\x00000000 2147483647 $M" >/proc/net/rpc/nfsd.fh/channel &&
	# flags 9218: NFSEXP_FSID | NFSEXP_NOSUBTREECHECK | NFSEXP_INSECURE_PORT (rw)
	echo "splice $M 2147483647 9218 65534 65534 0" >/proc/net/rpc/nfsd.export/channel &&
	echo "-2 -3 +4 +4.1" >/proc/fs/nfsd/versions &&
	echo 10 >/proc/fs/nfsd/nfsv4gracetime && echo 10 >/proc/fs/nfsd/nfsv4leasetime &&
	echo "tcp 2049" >/proc/fs/nfsd/portlist &&
	echo 2 >/proc/fs/nfsd/threads &&
	mount -t nfs4 -o vers=4.1,addr=127.0.0.1,clientaddr=127.0.0.1 127.0.0.1:/ $N
}
# nfs_stop: the client unmounted, nfsd stopped (which flushes its export
# caches)
nfs_stop() {
	umount $N && echo 0 >/proc/fs/nfsd/threads && umount /proc/fs/nfsd
}

# remount IMAGE: $M unmounted and mounted again, so that every block group
# needs its buddy again (ext4_mb_init_group).  After nfs_stop, nfsd's file
# cache may hold files of $M open a little longer (it closes them from a
# work queue): umount is retried for up to 30 s.
remount() {
	i=0
	until umount $M 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 30 ] || { umount $M; return 1; }
		sleep 1
	done
	mount -t ext4 -o loop "$1" $M
}
